"""Topics, their word lists and the other fixed lists the generator draws names and text from."""

from __future__ import annotations

# Each topic's words are distinctive enough that TF-IDF or a keyword search recovers the topic.
TOPIC_WORDS: dict[str, str] = {
    "cooking": (
        "recipe oven garlic simmer sauce roast pasta dough knife skillet braise butter flavor "
        "spice onion broth bake herbs kitchen dinner marinade saute vinegar lemon seasoning "
        "caramelize risotto dumpling pantry stew"
    ),
    "fitness": (
        "yoga cycling calories posture warmup workout squat deadlift cardio muscle stretch "
        "protein treadmill kettlebell endurance sprint plank reps sets barbell mobility "
        "recovery hydration marathon gym trainer pushup lunges conditioning stamina"
    ),
    "personal finance": (
        "insurance loans salary cashflow stocks bonds budget savings mortgage retirement "
        "index fund dividend compound interest credit debt paycheck taxes pension portfolio "
        "emergency expenses frugal brokerage annuity inflation rent refinance ledger"
    ),
    "ai": (
        "robotics chips datacenter hallucination benchmarks vectors neural network model "
        "training transformer dataset inference embedding gradient benchmark prompt tokens "
        "finetuning alignment agents reasoning multimodal classifier parameters attention "
        "diffusion overfitting evaluation chatbot"
    ),
    "gardening": (
        "seeds sprouting vegetables orchids irrigation compost seedlings soil mulch tomato "
        "prune perennial greenhouse watering weeds harvest fertilizer raised beds bulbs roses "
        "orchard hedge trellis pollinators germination shrubs potting lawn basil"
    ),
    "travel": (
        "backpacking hostels jetlag sightseeing tourism itinerary passport flight hostel "
        "backpack luggage airport train visa destination beach hiking museum ferry layover "
        "roadtrip guidebook souvenir border hotel island cathedral village airline"
    ),
    "music": (
        "encore bandmates acoustic drums guitar chord melody album drummer vinyl concert "
        "lyrics bassline synth chorus tempo rhythm orchestra singer songwriter playlist piano "
        "harmony rehearsal studio jazz vocals"
    ),
    "photography": (
        "photographers snapshot filters megapixels camera lens aperture shutter exposure "
        "tripod portrait landscape lightroom sensor focal bokeh darkroom negative prime zoom "
        "composition golden hour mirrorless raw histogram flash viewfinder"
    ),
    "parenting": (
        "pregnancy toddlers pediatrician discipline naptime playdates toddler newborn bedtime "
        "diaper tantrum preschool daycare siblings breastfeeding naps screen time homework "
        "playground teething lullaby stroller milestones babysitter chores allowance "
        "kindergarten teenager"
    ),
    "gaming": (
        "gamers levels gameplay quests consoles arcade console controller multiplayer "
        "speedrun quest boss loot shooter strategy roguelike esports leaderboard patch "
        "respawn dungeon crafting indie platformer sandbox achievements raid streamer"
    ),
    "climate": (
        "coastline hurricanes sustainability emitters icecaps emissions carbon warming "
        "glacier drought wildfire renewable solar wind turbine heatwave methane adaptation "
        "mitigation permafrost rainfall decarbonize grid biodiversity flooding net zero"
    ),
    "history": (
        "historians kingdoms pyramids scrolls warfare empires viking empire medieval dynasty "
        "archive revolution pharaoh treaty monarchy colonial ancient manuscript battle castle "
        "chronicle renaissance archaeology republic emperor crusade parliament artifact "
        "century"
    ),
    "startups": (
        "burn unicorn acquisition startup incubator metrics founder seed funding investors "
        "pitch deck valuation churn growth product market fit accelerator equity cofounder "
        "saas revenue hiring pivot venture bootstrapped traction"
    ),
    "fashion": (
        "models jackets dresses tailor catwalk fashionable knitwear runway designer fabric "
        "denim tailoring sneakers couture wardrobe vintage silhouette accessories handbag "
        "linen stitching collection streetwear outfit boutique cashmere hemline thrift "
        "textile"
    ),
    "film": (
        "screenwriter filmmakers movies oscars hollywood theater directing director "
        "screenplay cinema premiere actor cinematography trailer sequel documentary festival "
        "montage editing soundtrack blockbuster casting auteur screening frame noir box "
        "office"
    ),
    "science": (
        "scientists atoms biology astronomy physicist lab experiment hypothesis molecule "
        "physics quantum telescope genome cell laboratory particle evolution neuron chemistry "
        "galaxy enzyme microscope fossil theory research peer review orbit"
    ),
}
TOPICS: tuple[str, ...] = tuple(TOPIC_WORDS)

# Some topics draw a larger audience (and more creators) than others, as on real platforms.
TOPIC_POPULARITY: dict[str, float] = {
    "cooking": 1.6, "fitness": 1.3, "personal finance": 1.2, "ai": 1.5, "gardening": 0.8,
    "travel": 1.2, "music": 1.1, "photography": 0.7, "parenting": 0.9, "gaming": 1.3,
    "climate": 0.7, "history": 0.8, "startups": 0.9, "fashion": 0.9, "film": 1.0, "science": 0.9,
}  # fmt: skip

_FILLER = (
    "the a and of to in for with on this that why how what new best week guide notes "
    "thoughts simple better start lessons story inside really about from after before our "
    "your my first last small big ways things people time year today everyday honest"
)
FILLER_WORDS: tuple[str, ...] = tuple(_FILLER.split())

COUNTRIES: dict[str, float] = {
    "US": 0.34, "GB": 0.10, "DE": 0.08, "IN": 0.08, "FR": 0.06, "CA": 0.06, "BR": 0.06,
    "AU": 0.04, "ES": 0.04, "NL": 0.03, "JP": 0.03, "MX": 0.03, "IT": 0.03, "SE": 0.02,
}  # fmt: skip

NAME_PREFIXES: tuple[str, ...] = ("The", "Daily", "Honest", "Modern", "Little", "Open", "Weekend")
NAME_SUFFIXES: tuple[str, ...] = (
    "Dispatch", "Weekly", "Notes", "Letter", "Digest", "Journal", "Review", "Club", "Lab",
)  # fmt: skip


def topic_label(topic: str) -> str:
    """How a topic reads inside a creator's name, e.g. 'Personal Finance' or 'AI'."""
    return topic.upper() if len(topic) <= 2 else topic.title()
