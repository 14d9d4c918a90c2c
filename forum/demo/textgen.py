"""Fast, deterministic synthetic text for benchmarks and synthetic demo data.

Benchmarks generate up to a million documents with this module, so sampling is kept to
C-level work: one `random.choices` call over precomputed cumulative Zipf weights per
paragraph, and string joins. No numpy.

The vocabulary is ranked: English function words first, then a few hundred words of
the cluster-internationalisation domain, then a long tail of pronounceable pseudo-words
generated from the seed, so that search indexes see a realistic number of distinct
terms (>= 100,000) with a realistic, Zipf-shaped frequency distribution.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import lru_cache

import pycountry

ZIPF_EXPONENT = 1.07
DEFAULT_VOCABULARY_SIZE = 120_000

# Ranked roughly by English frequency: these dominate real text, so they sit at the top.
_FUNCTION_WORDS_TEXT = """
    the of and to in a for is on with that by as are be this from at will an it or
    have their has which its was were been not all can more also other new such into
    our we they these between through about than both each well within over including
    them during under while who would should may first most only there so but up out
    two three where when how what one per across towards among after before further
    must could very many some any same own several main key based following
"""
FUNCTION_WORDS: tuple[str, ...] = tuple(_FUNCTION_WORDS_TEXT.split())

# The report's vocabulary and the domain around it: clusters, SMEs, markets, sectors.
_DOMAIN_WORDS_TEXT = """
    cluster clusters sme smes internationalisation market markets export exports
    partnership partnerships mission missions innovation energy food healthcare
    mobility textile regulation tender tenders funding cooperation international
    european partner partners members member companies company business businesses
    event events matchmaking network networks sector sectors industry industrial
    value chain chains strategy strategic project projects organisation
    organisations management managers manager support services service technology
    technologies digital research development agreement agreements third countries
    country joint activities activity trade fair fairs delegation visit visits
    investment investors opportunities opportunity access global local regional
    policy programme call calls grant grants deadline consortium application
    applications workshop webinar forum platform intelligence report reports study
    studies analysis data information knowledge exchange sharing good practice
    practices results lessons challenges challenge barriers growth competitiveness
    ecosystem ecosystems startups entrepreneurs products product solutions production
    manufacturing supply demand customers standards certification compliance customs
    tariffs procurement public private sustainable sustainability renewable solar
    wind hydrogen blue maritime marine offshore railway rail transport logistics
    automotive aerospace space security cosmetics wellbeing packaging agrifood
    agriculture dairy wine beverages nutrition health medical devices pharmaceutical
    biotech lasers photonics optics materials chemicals plastics circular economy
    recycling waste water environment environmental climate emissions carbon
    efficiency buildings construction smart cities city electric vehicles batteries
    charging fashion clothing fabrics design creative media tourism hospitality
    culture software artificial cybersecurity cloud robotics automation sensors
    internet things observation satellite geothermal heating cooling grid storage
    wellness beauty ingredients retail distribution distributors importers
    exporters agents representation office offices landing soft incubator
    accelerator universities university academia training skills staff talent
    jobs employment workforce finance financing loans equity venture capital
    bank banks insurance risk risks legal law laws rules requirements permits
    licence licences registration approval authorities agency agencies ministry
    government embassy chamber commerce association associations federation
    stakeholders community communities dialogue consultation survey
    questionnaire responses respondents coordinator coordinators consortia
    memorandum understanding letter intent signed contract contracts deal deals
    order orders sales revenue turnover profit prices price costs cost budget
    budgets commission directorate executive horizon cosme easme eccp escp
    strand go across abroad overseas foreign domestic national transnational
    cross border bilateral multilateral summit conference congress exhibition
    expo pavilion booth stand showcase pitch demo prototype pilot pilots testing
    validation scale scaling upscaling launch launched launching plan plans
    roadmap action actions priorities priority objectives objective goals goal
    targets target targeted targeting identify identified identification select
    selected selection organise organised host hosted hosting
    attend attended attendance participate participated participation promote
    promoted promotion visibility communication communications newsletter
    website portal online digitalisation transformation transition green twin
    resilience resilient competitive leading leader leaders excellence quality
    advanced high tech emerging frontier deep small medium sized enterprises
    firms firm startup scaleups scaleup spin offs spinoffs people experts expert
    advisory consulting consultants mentoring coaching brokerage meetings meeting
    contacts contact introductions leads lead buyers buyer suppliers supplier
    sourcing components equipment machinery tools instruments systems system
    infrastructure ports port airports logistics hubs hub corridor corridors
    free zone zones incentives subsidies tax taxes vat duties quotas barriers
    non tariff sanitary phytosanitary labelling traceability safety
    organic halal kosher seafood fisheries aquaculture meat fruit vegetables
    cereals bakery confectionery spirits olive oil coffee tea cocoa sugar
    textiles technical apparel footwear leather wool cotton yarn fibres
    composites metals steel aluminium wood furniture paper glass ceramics
    mining minerals raw critical rare earths semiconductors electronics
    microelectronics chips telecom telecommunications broadband mobile apps
    platforms marketplace ecommerce fintech healthtech medtech ehealth diagnostics
    hospitals clinics patients care ageing elderly vaccines drugs therapies
    biotechnology genomics bioeconomy biomass biofuels biogas nuclear oil gas
    lng pipelines electricity power plants utilities tidal wave waves ocean
    oceans coastal shipping shipbuilding vessels drones uav aviation airlines
    trains metro tram urban rural micromobility bicycles scooters
    autonomous connected driving fleet fleets freight passengers tourists
    hotels restaurants travel destinations heritage arts music film games gaming
    animation publishing broadcasting journalism advertising marketing branding
    brand brands consumer consumers trends insights outlook forecast forecasts
    statistics figures indicators benchmark benchmarking ranking rankings index
    year years month months week weeks quarter annual monthly weekly daily
    today tomorrow recently soon currently already still yet again
    january february march april may june july august september october
    november december spring summer autumn winter
    japan canada china india korea israel africa singapore mexico brazil chile
    colombia australia zealand argentina indonesia malaysia vietnam taiwan
    morocco algeria egypt jordan qatar emirates kazakhstan uzbekistan kenya
    states united america asia europe brussels paris tokyo toronto boston
"""
DOMAIN_WORDS: tuple[str, ...] = tuple(dict.fromkeys(_DOMAIN_WORDS_TEXT.split()))

# Pseudo-word building blocks: onset + nucleus + optional coda makes pronounceable syllables.
_ONSETS: tuple[str, ...] = (
    "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w",
    "z", "br", "cr", "dr", "fr", "gr", "pr", "tr", "bl", "cl", "fl", "gl", "pl", "sl",
    "st", "sp", "ch", "sh", "th", "qu", "",
)  # fmt: skip
_NUCLEI: tuple[str, ...] = ("a", "e", "i", "o", "u", "ai", "ea", "io", "ou", "ia", "y")
_CODAS: tuple[str, ...] = ("", "n", "r", "s", "l", "m", "t", "x", "nd", "st", "rk")


def _syllables() -> list[str]:
    return [o + n + c for o in _ONSETS for n in _NUCLEI for c in _CODAS]


@lru_cache(maxsize=8)
def _vocabulary(seed: int, size: int) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """The ranked vocabulary and its cumulative Zipf weights (cached: building takes ~0.3 s)."""
    rng = random.Random(f"forum.demo.textgen.vocabulary:{seed}")
    domain = list(DOMAIN_WORDS)
    # Shuffled so that different seeds lean on different topics.
    rng.shuffle(domain)
    head = list(dict.fromkeys([*FUNCTION_WORDS, *domain]))
    if size < len(head):
        raise ValueError(f"vocabulary_size must be at least {len(head)}, got {size}")
    seen = set(head)
    words = head
    syllables = _syllables()
    while len(words) < size:
        # Rarer ranks get longer words, as in real text.
        longest = 2 + min(2, len(words) * 3 // size)
        word = "".join(rng.choices(syllables, k=rng.randint(2, longest)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    cumulative = tuple(itertools.accumulate(rank**-ZIPF_EXPONENT for rank in range(1, size + 1)))
    return tuple(words), cumulative


class TextGenerator:
    """Deterministic synthetic prose over a Zipf-distributed vocabulary.

    The same `seed` and `vocabulary_size` give the same sequence of outputs for the
    same sequence of calls. Words at rank r are drawn with weight 1 / r**1.07.
    `vocabulary_size` must be at least the number of real (head) words, ~800.
    """

    def __init__(self, seed: int = 0, vocabulary_size: int = DEFAULT_VOCABULARY_SIZE) -> None:
        self._words, self._cumulative = _vocabulary(seed, vocabulary_size)
        self._rng = random.Random(seed)

    @property
    def vocabulary_size(self) -> int:
        """How many distinct words the generator can emit."""
        return len(self._words)

    @property
    def vocabulary(self) -> Sequence[str]:
        """The words by rank, most frequent first."""
        return self._words

    def words(self, n: int) -> list[str]:
        """`n` words drawn independently from the Zipf distribution."""
        return self._rng.choices(self._words, cum_weights=self._cumulative, k=n)

    def _between(self, low: int, high: int) -> int:
        # random.randint costs several Python calls; this is one C call and a multiply.
        return low + int(self._rng.random() * (high - low + 1))

    def _prose(self, lengths: Sequence[int]) -> str:
        """Sentences of the given lengths, joined by single spaces."""
        # One draw and one join for all sentences: per-call overhead is what costs here.
        drawn = self._rng.choices(self._words, cum_weights=self._cumulative, k=sum(lengths))
        start = 0
        for length in lengths:
            first = drawn[start]
            drawn[start] = first[0].upper() + first[1:]
            if length >= 10:
                # A comma in the middle of longer sentences reads like prose.
                drawn[start + length // 2] += ","
            start += length
            drawn[start - 1] += "."
        return " ".join(drawn)

    def sentence(self, min_words: int = 6, max_words: int = 20) -> str:
        """A sentence of min_words..max_words words, capitalised, ending with a period."""
        if not 1 <= min_words <= max_words:
            raise ValueError(f"need 1 <= min_words <= max_words, got {min_words}, {max_words}")
        return self._prose([self._between(min_words, max_words)])

    def paragraph(self, sentences: tuple[int, int] = (2, 6)) -> str:
        """A paragraph of `sentences[0]..sentences[1]` sentences of 6..20 words each.

        With the defaults a paragraph averages about 52 words.
        """
        low, high = sentences
        if not 1 <= low <= high:
            raise ValueError(f"need 1 <= sentences[0] <= sentences[1], got {sentences}")
        between = self._between
        return self._prose([between(6, 20) for _ in range(between(low, high))])

    def title(self, min_words: int = 4, max_words: int = 10) -> str:
        """A headline of min_words..max_words words: first word capitalised, no period."""
        if not 1 <= min_words <= max_words:
            raise ValueError(f"need 1 <= min_words <= max_words, got {min_words}, {max_words}")
        drawn = self.words(self._between(min_words, max_words))
        drawn[0] = drawn[0][0].upper() + drawn[0][1:]
        return " ".join(drawn)

    def _bullets(self) -> str:
        items = []
        for _ in range(self._between(3, 6)):
            item = self.words(self._between(2, 8))
            item[0] = item[0][0].upper() + item[0][1:]
            items.append("- " + " ".join(item))
        return "\n".join(items)

    def markdown_body(self, paragraphs: tuple[int, int] = (1, 4)) -> str:
        """Markdown: `paragraphs[0]..paragraphs[1]` paragraphs separated by blank lines.

        About one body in five also has a bullet list of 3..6 items, after a paragraph.
        """
        low, high = paragraphs
        if not 1 <= low <= high:
            raise ValueError(f"need 1 <= paragraphs[0] <= paragraphs[1], got {paragraphs}")
        blocks = [self.paragraph() for _ in range(self._between(*paragraphs))]
        if self._rng.random() < 0.2:
            blocks.insert(self._between(1, len(blocks)), self._bullets())
        return "\n\n".join(blocks)


class SkewedChoice:
    """Draws distinct keys with probability proportional to their weights.

    Keys with weight 0 are never drawn. Deterministic for a given seed and sequence of
    calls. Weights must be finite and non-negative, with at least one positive.
    """

    def __init__(self, weights: Mapping[str, float], seed: int = 0) -> None:
        items = [(key, float(w)) for key, w in weights.items()]
        for key, w in items:
            if not math.isfinite(w) or w < 0:
                raise ValueError(f"weight of {key!r} must be finite and non-negative: {w}")
        items = [(key, w) for key, w in items if w > 0]
        if not items:
            raise ValueError("at least one weight must be positive")
        self._keys = [key for key, _ in items]
        self._weights = [w for _, w in items]
        self._cumulative = list(itertools.accumulate(self._weights))
        self._rng = random.Random(seed)

    def __len__(self) -> int:
        return len(self._keys)

    def pick(self, k_min: int = 1, k_max: int = 3) -> list[str]:
        """Between k_min and k_max distinct keys (fewer if fewer have positive weight).

        Keys come in the order drawn: successive weighted sampling without replacement,
        so heavy keys are both likelier to appear and likelier to come first.
        """
        if k_min < 0 or k_max < k_min:
            raise ValueError(f"need 0 <= k_min <= k_max, got {k_min}, {k_max}")
        k = min(self._rng.randint(k_min, k_max), len(self._keys))
        chosen: dict[str, None] = {}
        rng = self._rng
        total = self._cumulative[-1]
        # Rejecting repeats is sampling without replacement; bounded so that a key
        # carrying nearly all the weight cannot make it spin.
        for _ in range(8 * k + 16):
            if len(chosen) == k:
                return list(chosen)
            index = bisect.bisect(self._cumulative, rng.random() * total)
            chosen[self._keys[min(index, len(self._keys) - 1)]] = None
        remaining = [(key, w) for key, w in zip(self._keys, self._weights, strict=True)]
        remaining = [(key, w) for key, w in remaining if key not in chosen]
        while len(chosen) < k:
            keys = [key for key, _ in remaining]
            (key,) = rng.choices(keys, weights=[w for _, w in remaining])
            chosen[key] = None
            remaining = [(other, w) for other, w in remaining if other != key]
        return list(chosen)


# Table 1 of the 2019 report ("Targeted markets outside of Europe"), transcribed as ISO
# codes. The four partnerships whose markets were "To be defined" have none.
REPORT_TABLE1_TARGETS: dict[str, tuple[str, ...]] = {
    "ELBE": ("CA", "CN", "JP", "KR", "TW", "US"),
    "FoodNet": ("DZ", "CN", "IN", "IQ", "IL", "JP", "JO", "KZ", "KG", "MA", "KR", "TM", "UZ"),
    "FoodPackLab": ("IN", "JP"),
    "GEO-ENERGY EUROPE": ("CA", "CL", "ID", "KE", "MX"),
    "IDEOO": ("AR", "AU", "CL", "EG", "JP", "ZA"),
    "PERES": ("IN", "US"),
    "PIMAP": ("CA", "US"),
    "SENTINEL": ("MX", "MA", "ZA", "AE", "US"),
    "SpaceWave": ("AU", "CA", "ZA", "AE"),
    "COSMENERG-4i": ("ID", "IL", "JO", "MY", "QA", "SG", "AE", "VN"),
    "EC2i": ("US", "CN"),
    "EU-TEXTILE2030": ("CO", "IL", "JP", "ZA", "TW"),
    "LASER-GO GLOBAL": ("AU", "CA", "IL", "JP", "NZ", "KR", "SG", "US"),
    "MobiGoIn-Action": ("CA", "CN", "SG", "US"),
    "NF4": ("BR", "CA", "CN", "US"),
}


def report_target_counts() -> dict[str, int]:
    """How many partnerships in the report's Table 1 target each country.

    US 8, CA 7, JP 6 (the text says 7; the table lists 6), CN 5, IL 4, ZA 4, then
    IN, KR, AU, AE and SG 3 each, and so on.
    """
    return dict(Counter(c for targets in REPORT_TABLE1_TARGETS.values() for c in targets))


def report_country_weights(base: float = 0.05) -> dict[str, float]:
    """ISO code -> weight for every pycountry country, skewed like the 2019 report.

    A country targeted by n partnerships in Table 1 weighs n; every other country
    weighs `base`, so synthetic content mostly concerns the report's markets but
    still touches the rest of the world.
    """
    counts = report_target_counts()
    return {c.alpha_2: float(counts.get(c.alpha_2, base)) for c in pycountry.countries}


def measure_throughput(paragraphs: int = 20_000, seed: int = 0) -> dict[str, float]:
    """Time `paragraphs` default paragraphs on one core (vocabulary building excluded).

    Answers paragraphs_per_second, words_per_second, words_per_paragraph and seconds.
    """
    generator = TextGenerator(seed=seed)
    started = time.perf_counter()
    texts = [generator.paragraph() for _ in range(paragraphs)]
    seconds = time.perf_counter() - started
    words = sum(text.count(" ") + 1 for text in texts)
    return {
        "paragraphs_per_second": paragraphs / seconds,
        "words_per_second": words / seconds,
        "words_per_paragraph": words / paragraphs,
        "seconds": seconds,
    }


if __name__ == "__main__":
    for name, value in measure_throughput().items():
        print(f"{name}: {value:,.1f}")
