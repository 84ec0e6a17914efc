"""A realistic generated set of classified reports for the Diamond Mining template, used to
measure category proposals (bench/category_proposal.py) and to give demo tenants history.

Phrases are written the way people report, not copied from the template's keywords; every
report also carries shared context (places, shifts, people, actions) that belongs to no
category, so the proposer has to find the signal in noise."""

from __future__ import annotations

import random

PHRASES: dict[str, list[str]] = {
    "SAF.GEO.FOG": [
        "a large piece of rock came down from the roof of the drive",
        "loose slabs dropped from the hanging wall while the crew was barring down",
        "rock fell out of the sidewall next to the loading box",
    ],
    "SAF.GEO.SLOPE": [
        "a section of the bench collapsed into the pit",
        "tension cracks opened on the crest of the pit wall",
        "material slumped off the highwall onto the ramp",
    ],
    "SAF.GEO.SUPPORT": [
        "several roof bolts were found sheared and the mesh is bulging",
        "the shotcrete lining cracked and spalled in the cross-cut",
        "installed support was missing at the new face",
    ],
    "SAF.VEH.PED": [
        "a loader reversed towards a worker who was walking in the drive",
        "the proximity warning went off when a truck came within metres of a person on foot",
        "a pedestrian stepped out from behind the bay into the path of a dump truck",
    ],
    "SAF.VEH.COLL": [
        "two light vehicles hit each other at the workshop intersection",
        "a haul truck scraped the side of a parked LDV",
        "the utility vehicle bumped into the fuel bay barrier",
    ],
    "SAF.VEH.ROLL": [
        "the bakkie rolled onto its side on the ramp",
        "a loader ran away downhill after the park brake failed",
        "the truck overturned on the soft edge of the dump",
    ],
    "SAF.HEIGHT.FALL": [
        "the fitter slipped off the ladder and fell two metres",
        "a worker fell through an opening in the platform grating",
        "the scaffold board gave way and the boilermaker fell",
    ],
    "SAF.HEIGHT.DROP": [
        "a spanner slipped from the walkway and landed next to a colleague below",
        "a bolt fell from the conveyor gantry onto the road",
        "an unsecured tool dropped from the crane basket",
    ],
    "SAF.ENERGY.ELEC": [
        "the electrician received a shock from the panel",
        "there was an arc flash when the breaker was racked in",
        "a damaged trailing cable was found live in the water",
    ],
    "SAF.ENERGY.LOTO": [
        "the pump started while the team was working on it although it was meant to be locked out",
        "no personal locks were on the isolator of the feeder",
        "the belt was not isolated before the fitters opened the chute",
    ],
    "HRO.PERMIT.HEIGHT": [
        "request a permit to replace sheeting on the plant roof at twelve metres",
        "planned job on the elevated work platform to change the floodlights",
        "erecting scaffolding to inspect the thickener bridge, fall arrest required",
    ],
    "HRO.PERMIT.CONFINED": [
        "entry into the surge bin needed for liner replacement, gas test first",
        "cleaning inside the tank requires breathing apparatus and a standby",
        "inspection inside the chute, a confined space with poor ventilation",
    ],
    "HRO.PERMIT.HOTWORK": [
        "welding repairs on the screen deck with a fire watch",
        "cutting with the gas torch next to the diesel bay",
        "grinding on the conveyor frame near flammable material",
    ],
    "HRO.BLAST.MISFIRE": [
        "after the blast one charged hole did not go off",
        "the blaster found an unexploded detonator in the muck pile",
        "several holes failed to fire in the last round",
    ],
    "HRO.BLAST.FLYROCK": [
        "stones from the blast landed outside the cleared area",
        "the blast threw rocks onto the access road past the guards",
        "a fragment from the blast dented the pump house roof",
    ],
    "SEC.PROD.THEFT": [
        "the search at the exit found stones hidden in a boot",
        "a sorter was seen putting something into his pocket at the glovebox",
        "the x-ray scan showed an object swallowed by a worker leaving the recovery",
    ],
    "SEC.PROD.RECON": [
        "the carats in the sealed container do not match the recovery register",
        "the weekly weighing came out short against the production records",
        "the stone count differs between the plant and the sort house",
    ],
    "SEC.ACCESS.BREACH": [
        "a contractor followed an employee through the turnstile without clocking",
        "someone climbed the perimeter fence near the tailings dam at night",
        "an unknown person was found inside the restricted recovery area",
    ],
    "SEC.ACCESS.CARD": [
        "an employee lost his clock card on the bus",
        "a worker used a colleague's badge to enter the plant",
        "a visitor did not return the temporary card",
    ],
    "SEC.SURV.OUTAGE": [
        "the cameras in the sort house went blank for twenty minutes",
        "the control room lost the picture from the fence cameras",
        "recording stopped on the recorder covering the vault",
    ],
    "SEC.SURV.ANOMALY": [
        "the operator noticed a person hanging around the plant gate for an hour",
        "strange behaviour was observed on the screens near the concentrate store",
        "a vehicle kept stopping next to the fence without a reason",
    ],
    "ENV.SPILL.CHEM": [
        "ferrosilicon leaked from a cracked pipe onto the ground",
        "a drum of flocculant tipped over outside the bund",
        "the diesel bowser overflowed while filling the generator",
    ],
    "ENV.SPILL.SLIMES": [
        "the pipeline to the dam burst and slimes ran into the veld",
        "the return water pond overflowed after the rain",
        "tailings washed over the wall of the paddock",
    ],
    "ENV.AIR.DUST": [
        "thick dust from the haul road is blowing over the village",
        "the dust monitor exceeded its limit near the crusher",
        "the water cart broke and the roads are very dusty",
    ],
    "OPS.CHANGE.PLANT": [
        "we want to change the cyclone pressure setting in the DMS",
        "proposal to add a second scrubber to the flow sheet",
        "the new screen replaces the old one and changes the feed to recovery",
    ],
    "OPS.CHANGE.ORG": [
        "the night shift will move to a four-panel roster",
        "the security supervisors now report to the plant manager",
        "two sections are being merged under one overseer",
    ],
    "OPS.EQUIP.CRUSHER": [
        "the primary crusher tripped and the belt is stopped",
        "the conveyor belt tore at the splice",
        "the chute to the secondary crusher is blocked with clay",
    ],
    "OPS.EQUIP.DMS": [
        "the dense medium plant stopped because the medium density dropped",
        "the x-ray machines in recovery are not running",
        "the DMS cyclone is worn through and the plant is down",
    ],
    "OPS.IT.OUTAGE": [
        "the network went down and nobody can log on to the production system",
        "the SCADA screens froze in the control room",
        "the radio and the wifi underground stopped working",
    ],
}

PLACES = [
    "Shaft 2, level 8",
    "the north pit",
    "the DMS plant",
    "the recovery building",
    "the main workshop",
    "the tailings dam",
    "the sort house",
    "Shaft 1 station",
    "the haul road",
    "the security gate",
]
OPENINGS = [
    "During the {shift} shift at {place},",
    "At about {hour}:{minute:02d} at {place},",
    "While doing the inspection at {place},",
    "Reported by the {role}:",
    "At {place} today,",
]
CLOSINGS = [
    "Nobody was injured.",
    "The area was barricaded and the supervisor informed.",
    "The crew was withdrawn until it is checked.",
    "Photos were taken and the foreman called.",
    "We stopped the work and reported it on the radio.",
    "The shift boss came to look at it.",
]
ROLES = ["shift boss", "miner", "operator", "security officer", "fitter", "safety officer"]


def generate(
    n_per_category: int = 30, seed: int = 11, phrase_indexes: tuple[int, ...] = (0, 1, 2)
) -> list[tuple[str, str]]:
    """`(text, category code)` pairs, deterministic for a seed, using only the given phrasings
    of each category (so a test set can hold out wording the model never saw)."""
    rng = random.Random(seed)
    reports = []
    for code, all_phrases in PHRASES.items():
        phrases = [all_phrases[i] for i in phrase_indexes]
        for _ in range(n_per_category):
            opening = rng.choice(OPENINGS).format(
                shift=rng.choice(["day", "night", "A", "B"]),
                place=rng.choice(PLACES),
                hour=rng.randint(0, 23),
                minute=rng.randint(0, 59),
                role=rng.choice(ROLES),
            )
            body = rng.choice(phrases)
            other = PHRASES[rng.choice(list(PHRASES))]
            extra = rng.choice([other[i] for i in phrase_indexes]) if rng.random() < 0.15 else ""
            closing = " ".join(rng.sample(CLOSINGS, k=rng.randint(1, 2)))
            text = f"{opening} {body}. {('Earlier ' + extra + '. ') if extra else ''}{closing}"
            reports.append((text, code))
    rng.shuffle(reports)
    return reports


def split(reports: list[tuple[str, str]], held_out: float = 0.3) -> tuple[list, list]:
    cut = int(len(reports) * (1 - held_out))
    return reports[:cut], reports[cut:]
