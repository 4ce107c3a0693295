"""Support for the asset modules, not assets themselves: names, guards, champions, metadata."""
