"""Generated documents for the semantic gold set: tables of made-up sites (docx, xlsx, pptx), yearly updates in
prose, how-to procedures and announced lists. Every name, figure and sentence comes from the word lists and
templates below (written for this project) and a seeded random generator: the same seed gives the same files.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

# ---- sites with attributes -----------------------------------------------------------------------------------

PLACES = [
    "Harbour Road",
    "Elm Street",
    "Kingsgate",
    "Millbrook",
    "Ashford Lane",
    "Northfield",
    "Copper Hill",
    "Riverside",
    "Oakmere",
    "Stonebridge",
    "Westcliff",
    "Larch Avenue",
    "Fenwick",
    "Greyhaven",
    "Brackley",
    "Thornbury",
    "Pinecrest",
    "Saltmarsh",
    "Holloway",
    "Marston",
    "Wexley",
    "Brightwater",
    "Cedar Park",
    "Dunmore",
    "Eastwick",
    "Foxley",
    "Glenrock",
    "Hartfield",
    "Ironside",
    "Juniper Way",
    "Kestrel Point",
    "Lowther",
]


@dataclass(frozen=True)
class Attribute:
    """A column: its header, how a question asks for it, a value range, and the nearby attribute it is
    easily confused with (the one a document may give while leaving this one out)."""

    header: str
    asked: str  # 'How many {asked} did {site} have in {year}?' / '... does {site} have?'
    low: int
    high: int
    nearby: str | None = None


@dataclass(frozen=True)
class SiteKind:
    noun: str  # 'Depot'
    plural: str
    report: str  # heading words: 'Staffing and fleet report'
    attributes: tuple[Attribute, ...]


SITE_KINDS = [
    SiteKind(
        "Depot",
        "depots",
        "Staffing and fleet report",
        (
            Attribute("Staff", "staff members", 120, 480),
            Attribute("Night-shift staff", "night-shift staff members", 12, 90, nearby="Staff"),
            Attribute("Vehicles", "vehicles", 20, 140),
            Attribute("Electric vehicles", "electric vehicles", 2, 19, nearby="Vehicles"),
        ),
    ),
    SiteKind(
        "Clinic",
        "clinics",
        "Capacity overview",
        (
            Attribute("Beds", "beds", 60, 420),
            Attribute("Intensive-care beds", "intensive-care beds", 4, 38, nearby="Beds"),
            Attribute("Nurses", "nurses", 40, 310),
            Attribute("Night nurses", "night nurses", 6, 35, nearby="Nurses"),
        ),
    ),
    SiteKind(
        "School",
        "schools",
        "Enrolment and staffing summary",
        (
            Attribute("Pupils", "pupils", 180, 1400),
            Attribute("Pupils with free meals", "pupils receiving free meals", 20, 170, nearby="Pupils"),
            Attribute("Teachers", "teachers", 14, 95),
            Attribute("Part-time teachers", "part-time teachers", 2, 13, nearby="Teachers"),
        ),
    ),
    SiteKind(
        "Library",
        "libraries",
        "Collections and membership figures",
        (
            Attribute("Books", "books", 9000, 88000),
            Attribute("Rare books", "rare books", 40, 900, nearby="Books"),
            Attribute("Members", "registered members", 700, 9500),
            Attribute("Junior members", "junior members", 90, 650, nearby="Members"),
        ),
    ),
]
MONTHS = ["January", "March", "May", "June", "September", "November"]


@dataclass
class TableGroup:
    """Sites of one kind with their figures for two years: the first year in a table document (some columns
    left out), the second in a prose update that gives one attribute only."""

    index: int
    kind: SiteKind
    sites: list[str]
    first_year: int
    second_year: int
    month: str
    shown: list[Attribute]
    hidden: list[Attribute]
    compared: Attribute
    values: dict[tuple[str, str, int], int] = field(default_factory=dict)  # (site, header, year) -> value
    table_format: str = "docx"
    year_in: str = "heading"

    @property
    def stem(self) -> str:
        return f"{self.kind.plural}-{self.index:03d}"


def table_groups(count: int, seed: int) -> list[TableGroup]:
    """``count`` groups; site names are unique across groups (a place and a kind once each, then numbered)."""
    rng = random.Random(f"{seed}/tables")
    groups = []
    used: set[str] = set()
    formats = ["docx", "xlsx", "pptx"]
    for index in range(count):
        kind = SITE_KINDS[index % len(SITE_KINDS)]
        sites: list[str] = []
        while len(sites) < 5:
            name = f"{rng.choice(PLACES)} {kind.noun}"
            if name in used:
                name = f"{name} {rng.randint(2, 9)}"
            if name not in used:
                used.add(name)
                sites.append(name)
        first = rng.randint(2015, 2021)
        hidden = [attribute for attribute in kind.attributes if attribute.nearby and rng.random() < 0.5]
        if not hidden:
            hidden = [rng.choice([a for a in kind.attributes if a.nearby])]
        shown = [attribute for attribute in kind.attributes if attribute not in hidden]
        compared = rng.choice([a for a in shown if a.nearby is None])
        group = TableGroup(
            index,
            kind,
            sites,
            first,
            first + rng.randint(1, 3),
            rng.choice(MONTHS),
            shown,
            hidden,
            compared,
            table_format=formats[index % 3],
            year_in=["heading", "caption"][(index // 3) % 2],
        )
        for site in sites:
            for attribute in kind.attributes:
                value = rng.randint(attribute.low, attribute.high)
                group.values[(site, attribute.header, first)] = value
            before = group.values[(site, compared.header, first)]
            after = before
            while after == before:
                after = max(1, round(before * rng.uniform(0.8, 1.25)))
            group.values[(site, compared.header, group.second_year)] = after
        groups.append(group)
    return groups


def _heading(group: TableGroup) -> str:
    return f"{group.kind.report}, {group.first_year}"


def _caption(group: TableGroup) -> str:
    if group.year_in == "caption":
        return f"Figures for the {group.kind.plural} of the district at the end of {group.first_year}."
    return f"Figures for the {group.kind.plural} of the district at the end of the reporting year."


def _rows(group: TableGroup) -> list[list[str]]:
    header = [group.kind.noun, *[attribute.header for attribute in group.shown]]
    rows = [
        [site, *[f"{group.values[(site, a.header, group.first_year)]:,}" for a in group.shown]] for site in group.sites
    ]
    return [header, *rows]


def write_table(group: TableGroup, folder: Path) -> Path:
    """The first-year table as .docx (heading, caption, table), .xlsx (the year in the sheet name) or .pptx
    (the year in the slide title)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{group.stem}-{group.first_year}.{group.table_format}"
    rows = _rows(group)
    if group.table_format == "docx":
        import docx

        document = docx.Document()
        document.add_heading(_heading(group), level=1)
        document.add_paragraph(_caption(group))
        table = document.add_table(rows=len(rows), cols=len(rows[0]))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                table.cell(r, c).text = value
        document.add_paragraph("Figures are counted on the last working day of the year.")
        document.save(str(path))
    elif group.table_format == "xlsx":
        import openpyxl

        workbook = openpyxl.Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.title = f"{group.kind.noun} figures {group.first_year}"
        for row in rows:
            sheet.append(row)
        workbook.save(str(path))
    else:
        from pptx import Presentation
        from pptx.util import Inches

        deck = Presentation()
        slide = deck.slides.add_slide(deck.slide_layouts[5])  # title only
        slide.shapes.title.text = _heading(group)
        shape = slide.shapes.add_table(len(rows), len(rows[0]), Inches(0.5), Inches(1.6), Inches(9), Inches(4))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                shape.table.cell(r, c).text = value
        deck.save(str(path))
    return path


UPDATE_LINES = [
    "By the end of {month} {year}, {site} reported {value} {asked}.",
    "{site} had {value} {asked} in {month} {year}, according to the latest count.",
    "The {month} {year} count for {site} was {value} {asked}.",
]


def write_update(group: TableGroup, folder: Path, rng: random.Random) -> Path:
    """A short prose update giving the compared attribute for every site in the second year."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{group.stem}-update-{group.second_year}.md"
    lines = [
        f"# {group.kind.noun} update, {group.month} {group.second_year}",
        "",
        (
            f"This note gives one figure per site for the {group.kind.plural} of the district; "
            "the others follow in the annual report."
        ),
        "",
    ]
    for site in group.sites:
        line = rng.choice(UPDATE_LINES).format(
            month=group.month,
            year=group.second_year,
            site=site,
            value=f"{group.values[(site, group.compared.header, group.second_year)]:,}",
            asked=group.compared.asked,
        )
        lines.append(line[0].upper() + line[1:])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---- procedures -------------------------------------------------------------------------------------------------

# (task, device nouns, steps): each step is (instruction, key word); the key word is what a complete answer names.
PROCEDURES = [
    (
        "descale the {device}",
        ["espresso machine", "kettle station", "drinks dispenser"],
        [
            ("Switch the unit off and let it cool for twenty minutes.", "cool"),
            ("Empty the drip tray and rinse it under warm water.", "drip tray"),
            ("Fill the tank with the citric descaling solution.", "descaling solution"),
            ("Run the rinse programme until the tank is empty.", "rinse programme"),
            ("Refill the tank with clean water and run the programme twice more.", "clean water"),
            ("Wipe the steam wand with a damp cloth.", "steam wand"),
            ("Record the date on the maintenance card.", "maintenance card"),
        ],
    ),
    (
        "replace the filter of the {device}",
        ["ventilation unit", "air purifier", "extractor hood"],
        [
            ("Disconnect the power at the wall isolator.", "isolator"),
            ("Open the front grille by pressing both side clips.", "grille"),
            ("Slide out the used filter and seal it in a bag.", "used filter"),
            ("Check the gasket for cracks and replace it if needed.", "gasket"),
            ("Insert the new filter with the arrow facing the fan.", "arrow"),
            ("Close the grille until both clips click.", "clips"),
            ("Restore power and reset the filter counter.", "filter counter"),
            ("Note the filter batch number in the log book.", "batch number"),
        ],
    ),
    (
        "register a visitor at the {device}",
        ["front desk kiosk", "reception tablet", "gate terminal"],
        [
            ("Ask the visitor for photo identification.", "identification"),
            ("Search the booking list for the visitor's name.", "booking list"),
            ("Take a photograph with the built-in camera.", "photograph"),
            ("Print the temporary badge and check the expiry time.", "temporary badge"),
            ("Call the host to collect the visitor.", "host"),
            ("Hand over the safety leaflet.", "safety leaflet"),
        ],
    ),
    (
        "calibrate the {device}",
        ["platform scale", "counting balance", "parcel scale"],
        [
            ("Place the scale on a level bench away from draughts.", "level bench"),
            ("Let it warm up for fifteen minutes.", "warm up"),
            ("Press and hold the zero key until the display flashes.", "zero key"),
            ("Put the reference weight in the centre of the platform.", "reference weight"),
            ("Confirm the weight with the enter key.", "enter key"),
            ("Remove the weight and check that the display returns to zero.", "returns to zero"),
            ("Attach a new calibration sticker with today's date.", "calibration sticker"),
        ],
    ),
    (
        "restart the {device} after a power cut",
        ["walk-in freezer", "cold room", "blast chiller"],
        [
            ("Keep the door closed while the power is off.", "door closed"),
            ("Switch the main breaker back on.", "main breaker"),
            ("Wait for the controller to finish its self-test.", "self-test"),
            ("Read the peak temperature from the alarm history.", "alarm history"),
            ("Move any stock above the limit to the quarantine shelf.", "quarantine shelf"),
            ("Sign the incident sheet and tell the duty manager.", "incident sheet"),
        ],
    ),
    (
        "set up the {device} for a meeting",
        ["conference room projector", "video wall", "meeting room screen"],
        [
            ("Turn on the control panel by the door.", "control panel"),
            ("Select the wall input marked HDMI 2.", "HDMI 2"),
            ("Connect the laptop with the adapter from the drawer.", "adapter"),
            ("Adjust the focus ring until the test card is sharp.", "focus ring"),
            ("Dim the lights with the scene button.", "scene button"),
            ("Test the ceiling microphone with a short call.", "ceiling microphone"),
            ("Leave the remote in its cradle afterwards.", "cradle"),
        ],
    ),
]
PREAMBLES = [
    (
        "This guide belongs to the facilities handbook of the {site}. It is reviewed every spring "
        "by the site team, who collect the questions staff raised during the year and rewrite any "
        "step that caused confusion. Before you start, read the whole guide once, put on the "
        "protective gloves kept in the blue cabinet, and make sure nobody else is using the "
        "equipment. If anything looks damaged, stop and report it rather than carrying on. "
    ),
    (
        "The {site} keeps these instructions next to the equipment and in the shared drive. Staff "
        "who have not done the task before should ask a colleague to watch the first time. The "
        "steps below assume the standard model supplied in the last refit; older units differ "
        "slightly and have their own sheet. Allow about half an hour, and do not start the job "
        "during the busiest part of the shift, when the equipment is needed most. "
    ),
]
FILLER = [
    (
        "Spare parts are ordered through the usual purchasing form, with the cost centre of the team that uses the "
        "equipment. Keep the packaging of any new part until the job is finished, since returns need it."
    ),
    (
        "Questions about this guide go to the facilities coordinator, who also keeps the training records. The guide "
        "was last revised after the annual safety walk, when two steps were reordered to match the equipment labels."
    ),
    (
        "Cleaning products must be the ones approved on the site's chemical list; others can damage seals and void the "
        "warranty. Safety data sheets are in the red folder by the door."
    ),
]


@dataclass
class Procedure:
    index: int
    task: str
    site: str
    steps: list[tuple[str, str]]

    @property
    def name(self) -> str:
        return f"procedure-{self.index:03d}.{'md' if self.index % 2 else 'txt'}"


def procedures(count: int, seed: int) -> list[Procedure]:
    rng = random.Random(f"{seed}/procedures")
    made = []
    for index in range(count):
        task, devices, steps = PROCEDURES[index % len(PROCEDURES)]
        device = devices[(index // len(PROCEDURES)) % len(devices)]
        site = f"{rng.choice(PLACES)} {rng.choice(['office', 'plant', 'campus', 'warehouse', 'hostel'])}"
        chosen = list(steps) if rng.random() < 0.5 else list(steps[: max(6, len(steps) - 1)])
        made.append(Procedure(index, task.format(device=device), site, chosen))
    return made


def write_procedure(procedure: Procedure, folder: Path, rng: random.Random) -> Path:
    """A how-to page: a long introduction (so the steps start late in the first chunk and run into the next),
    the numbered steps, then notes."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / procedure.name
    title = f"How to {procedure.task} ({procedure.site})"
    intro = rng.choice(PREAMBLES).format(site=procedure.site) + " ".join(rng.sample(FILLER, 2))
    steps = "\n".join(f"{n}. {text}" for n, (text, _key) in enumerate(procedure.steps, start=1))
    notes = rng.choice(FILLER)
    header = f"# {title}" if path.suffix == ".md" else title
    path.write_text(f"{header}\n\n{intro}\n\nFollow these steps.\n\n{steps}\n\n{notes}\n", encoding="utf-8")
    return path


# ---- announced lists --------------------------------------------------------------------------------------------

LISTS = [
    ("workshops", "run", "Community Garden", ["pruning", "composting", "seed saving", "beekeeping", "pond care"]),
    ("languages", "teach", "Evening College", ["Portuguese", "Korean", "Welsh", "Turkish", "Swahili", "Czech"]),
    ("services", "offer", "Repair Cafe", ["bicycle repair", "sewing", "lamp rewiring", "knife sharpening"]),
    ("sports", "host", "Leisure Centre", ["badminton", "water polo", "fencing", "climbing", "table tennis"]),
    ("exhibitions", "plan", "Town Museum", ["maps of the coast", "railway posters", "toy theatres", "lace"]),
    ("courses", "provide", "Training Hub", ["first aid", "forklift safety", "fire marshal", "food hygiene"]),
]


@dataclass
class Announced:
    index: int
    owner: str
    noun: str
    verb: str
    items: list[str]

    @property
    def name(self) -> str:
        return f"list-{self.index:03d}.md"


def announced_lists(count: int, seed: int) -> list[Announced]:
    rng = random.Random(f"{seed}/lists")
    made, used = [], set()
    for index in range(count):
        noun, verb, kind, items = LISTS[index % len(LISTS)]
        owner = f"{rng.choice(PLACES)} {kind}"
        while owner in used:
            owner = f"{rng.choice(PLACES)} {kind} {rng.randint(2, 9)}"
        used.add(owner)
        chosen = rng.sample(items, rng.randint(3, min(5, len(items))))
        made.append(Announced(index, owner, noun, verb, chosen))
    return made


def write_list(announced: Announced, folder: Path, rng: random.Random) -> Path:
    """A notice whose list is introduced by a sentence ending in '.', not ':', after a paragraph of news."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / announced.name
    news = rng.choice(FILLER)
    bullets = "\n".join(f"- {item.capitalize() if item.islower() else item}" for item in announced.items)
    path.write_text(
        f"# {announced.owner}: this season\n\n{news}\n\nThis season the {announced.owner} will {announced.verb} "
        f"the following {announced.noun}.\n\n{bullets}\n\nPlaces are limited and booking opens a month ahead.\n",
        encoding="utf-8",
    )
    return path
