from recsys.export.cli import main

main()
