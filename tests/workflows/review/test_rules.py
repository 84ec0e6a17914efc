"""Each rule of the automated review, raising its finding when the pack breaks it and staying quiet
on the near misses it must not flag."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.workflows.review.builders import digest, evidence
from workflows.review import review
from workflows.review.justification import justification_problem
from workflows.review.narrative import narrative_gaps
from workflows.review.objects import contradicting_objects
from workflows.review.pack import PoleEntity
from workflows.review.people import has_role, stated_counts, unlisted_people
from workflows.review.places import contradicting_places, places_in, shares_nothing
from workflows.review.similarity import copied_share, jaccard, most_copied, shingles


def found(pack, **kwargs) -> list[tuple[str | None, str]]:
    return [(f.step, f.code) for f in review(pack, **kwargs).findings]


def messages(pack) -> list[str]:
    return [f.message for f in review(pack).findings]


# evidence.missing ---------------------------------------------------------------------------------


def test_completed_step_without_a_required_kind_is_missing_evidence(pack):
    pack["steps"][0]["evidence"] = [evidence("document", "risk assessment")]
    assert found(pack) == [("make_safe", "evidence.missing")]
    assert messages(pack) == [
        "Step 1 'Barricade and make safe' is completed without a photo. Add a photo to step 1 'Barricade and make "
        "safe'."
    ]


def test_each_missing_kind_is_its_own_finding(pack):
    pack["steps"][0]["required_evidence"] = ["photo", "sign_off", "external_reference"]
    assert [m.split(". ")[0] for m in messages(pack)] == [
        "Step 1 'Barricade and make safe' is completed without a sign-off",
        "Step 1 'Barricade and make safe' is completed without an external reference",
    ]


def test_a_step_not_completed_is_not_checked_for_required_evidence(pack):
    pack["steps"][2]["required_evidence"] = ["photo"]
    assert found(pack) == []


# evidence.invalidated -----------------------------------------------------------------------------


def test_completed_step_relying_on_invalidated_evidence_is_flagged(pack):
    pack["steps"][0]["evidence"][0]["invalidated"] = True
    assert found(pack) == [("make_safe", "evidence.invalidated")]
    assert "Add a valid photo to step 1 'Barricade and make safe'" in messages(pack)[0]


def test_invalidated_evidence_with_a_valid_replacement_is_fine(pack):
    pack["steps"][0]["evidence"][0]["invalidated"] = True
    pack["steps"][0]["evidence"].append(evidence("photo", "second barricade photo"))
    assert found(pack) == []


def test_invalidated_evidence_of_a_kind_the_step_does_not_require_is_ignored(pack):
    pack["steps"][0]["evidence"].append(evidence("document", "wrong file", invalidated=True))
    assert found(pack) == []


# evidence.provenance_incomplete -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("collector", "", "collector"),
        ("source", None, "source"),
        ("collected_at", None, "collection time"),
        ("relevance", "   ", "relevance"),
        ("sha256", None, "sha256 digest"),
    ],
)
def test_evidence_without_provenance_is_flagged_naming_what_is_missing(pack, field, value, named):
    pack["steps"][0]["evidence"][0][field] = value
    assert found(pack) == [("make_safe", "evidence.provenance_incomplete")]
    assert messages(pack)[0].startswith(f"Evidence item 1 (photo) of step 1 'Barricade and make safe' has no {named}")


def test_records_without_content_need_no_digest(pack):
    pack["steps"][1]["evidence"].append(evidence("sign_off", "sign-off", sha256=None))
    pack["steps"][1]["evidence"].append(evidence("external_reference", "CCTV clip", sha256=None))
    assert found(pack) == []


def test_invalidated_evidence_needs_no_provenance(pack):
    pack["steps"][0]["evidence"].append(evidence("photo", "blurred", collector="", invalidated=True))
    assert found(pack) == []


# evidence.duplicate -------------------------------------------------------------------------------


def test_the_same_file_in_two_steps_is_flagged_on_the_later_step(pack):
    pack["steps"][1]["evidence"].append(evidence("photo", "barricade photo"))
    assert found(pack) == [("statements", "evidence.duplicate")]
    assert "already used in step 1 'Barricade and make safe'" in messages(pack)[0]


def test_a_file_from_another_incident_is_flagged(pack):
    pack["steps"][0]["evidence"][0]["sha256"] = digest("another incident's photo")
    assert found(pack) == [("make_safe", "evidence.duplicate")]
    assert "already used in another incident" in messages(pack)[0]


def test_the_same_file_twice_in_one_step_or_invalidated_is_not_a_duplicate(pack):
    pack["steps"][0]["evidence"].append(evidence("photo", "barricade photo"))
    pack["steps"][1]["evidence"].append(evidence("photo", "barricade photo", invalidated=True))
    assert found(pack) == []


# narrative.insufficient ---------------------------------------------------------------------------


def test_a_short_narrative_is_insufficient(pack):
    pack["incident"]["narrative"] = "Rock fell at Shaft 2 Level 14 at 10:20."
    assert found(pack) == [(None, "narrative.insufficient")]
    assert "has 9 words (at least 20 are needed)" in messages(pack)[0]


def test_a_40_word_narrative_without_a_time_word_is_enough(pack):
    """Issue 13: the occurrence time is recorded on the incident; a narrative is judged on what it says."""
    pack["incident"]["narrative"] = (
        "A slab of rock about two metres long fell from the hanging wall of the 14W32 stope on Level 14 at Shaft 2, "
        "between the last row of roof bolts and the face, and struck winch operator Thabo Mokoena on the leg. "
        "The crew withdrew and the area was barricaded."
    )
    assert len(pack["incident"]["narrative"].split()) >= 40
    assert found(pack) == []


def test_narrative_gaps_name_what_and_where():
    words, missing = narrative_gaps("Something about the equipment and the people who work with it daily.", [])
    assert (words, missing) == (12, ["what happened", "where"])
    _, missing = narrative_gaps("On the night shift the conveyor stopped in the crusher building.", ["Pit 2 crusher"])
    assert missing == []
    _, missing = narrative_gaps("A near miss in Pit 1 on Tuesday.", [])
    assert missing == []


# text.boilerplate ---------------------------------------------------------------------------------

HINT = (
    "Take a written statement from every person who saw the fall or was in the working place: what they were "
    "doing, what they saw and heard, and what they did afterwards."
)


def test_a_statement_copied_from_its_step_s_instructions_is_boilerplate_and_names_its_source(pack):
    statements = pack["steps"][1]
    statements["instructions"] = HINT
    statements["evidence"][0]["text"] = (
        "Written statement from every person who saw the fall or was in the working place: what they were doing, "
        "what they saw and heard, and what they did afterwards."
    )
    assert found(pack) == [("statements", "text.boilerplate")]
    assert "of its wording from the instructions of step 2 'Obtain witness statements'" in messages(pack)[0]


def test_a_narrative_copied_from_another_incident_names_the_incident(pack):
    narrative = pack["incident"]["narrative"]
    pack["other_texts"] = [{"source": "INC-2025-000144 (narrative)", "text": narrative.replace("10:20", "07:15")}]
    assert found(pack) == [(None, "text.boilerplate")]
    assert "from INC-2025-000144 (narrative)" in messages(pack)[0]
    assert "repeats 8" in messages(pack)[0] or "repeats 9" in messages(pack)[0]


def test_short_texts_and_own_accounts_beside_hints_are_not_boilerplate(pack):
    pack["steps"][1]["instructions"] = HINT
    pack["steps"][0]["evidence"][0]["text"] = "What they saw and heard."  # too short to judge
    pack["other_texts"] = [{"source": "INC-1", "text": "The conveyor at the Pit 2 crusher tripped on overload."}]
    assert found(pack) == []


def test_copied_share_and_jaccard_measure_three_word_runs():
    text = shingles("the crew withdrew to the waiting place")
    assert copied_share(text, shingles("At 10:20 the crew withdrew to the waiting place and waited.")) == 1.0
    assert jaccard(text, text) == 1.0 and jaccard(text, shingles("nothing in common here")) == 0.0
    assert most_copied("the crew withdrew", [("a", "no match"), ("b", "then the crew withdrew")]) == ("b", 1.0)


# pole.inconsistent: objects -----------------------------------------------------------------------


def test_an_object_numbered_otherwise_than_the_pole_object_is_flagged():
    pole = (PoleEntity("object", "Haul truck HT-27", "vehicle"), PoleEntity("object", "LHD 14", "loader"))
    assert contradicting_objects("I reversed HT-29 past LHD 14.", pole) == ["HT-29"]
    assert contradicting_objects("HT 027 stopped; DMRE ref KRD-2026-0412; CV-3 ran.", pole) == []


def test_a_narrative_naming_another_vehicle_is_flagged(pack):
    pack["incident"]["pole"].append({"type": "object", "name": "Scraper winch SW-12", "role": "winch in use"})
    pack["incident"]["narrative"] += " Scraper winch SW-14 was stopped."
    assert found(pack) == [(None, "pole.inconsistent")]
    assert "names SW-14, but the POLE objects are Scraper winch SW-12" in messages(pack)[0]


# location.mismatch: places that share nothing ------------------------------------------------------


def test_a_photo_taken_somewhere_sharing_nothing_with_the_incident_is_flagged(pack):
    pack["steps"][0]["evidence"][0]["location"] = "Main workshop, fitting bay"
    assert found(pack) == [("make_safe", "location.mismatch")]
    assert "shares no place or name with the incident location" in messages(pack)[0]


def test_shares_nothing_compares_places_and_distinctive_words():
    assert shares_nothing("Main workshop", ["Shaft 2, Level 14, 14W32 stope"])
    assert not shares_nothing("14W32 stope entrance", ["Shaft 2, Level 14, 14W32 stope"])
    assert not shares_nothing("No. 2 Shaft headgear", ["Shaft 2, Level 14"])
    assert shares_nothing("Bench 2", ["Shaft 2"])  # a bare number is no place
    assert not shares_nothing("", ["Shaft 2"])


# time.inconsistent --------------------------------------------------------------------------------


def test_evidence_of_the_event_collected_before_it_occurred_is_flagged(pack):
    pack["steps"][0]["evidence"][0]["collected_at"] = "2025-03-11T09:00:00+02:00"
    assert found(pack) == [("make_safe", "time.inconsistent")]
    assert "before the incident occurred at 2025-03-11T10:20+02:00" in messages(pack)[0]


def test_a_few_minutes_of_clock_drift_is_tolerated(pack):
    pack["steps"][0]["evidence"][0]["collected_at"] = "2025-03-11T10:15:00+02:00"
    assert found(pack) == []


def test_evidence_of_every_kind_collected_before_the_incident_is_flagged(pack):
    """Issue 13: a document collected for an incident falls inside its window too."""
    pack["steps"][1]["evidence"].append(
        evidence("document", "ground control plan", collected_at="2024-11-01T08:00:00+02:00")
    )
    assert found(pack) == [("statements", "time.inconsistent")]
    assert "Evidence item 2 (document)" in messages(pack)[0]


def test_evidence_collected_after_submission_is_flagged(pack):
    pack["steps"][1]["evidence"][0]["collected_at"] = "2025-03-13T08:00:00+02:00"
    assert found(pack) == [("statements", "time.inconsistent")]


def test_without_a_submission_time_now_is_the_limit(pack):
    del pack["incident"]["submitted_at"]
    assert found(pack, now=datetime.fromisoformat("2025-03-11T10:30:00+02:00")) == [
        ("make_safe", "time.inconsistent"),
        ("statements", "time.inconsistent"),
    ]
    assert found(pack, now=datetime.fromisoformat("2025-03-11T12:00:00+02:00")) == []


def test_an_incident_reported_before_it_occurred_is_flagged(pack):
    pack["incident"]["reported_at"] = "2025-03-11T09:00:00+02:00"
    assert found(pack) == [(None, "time.inconsistent")]


def test_planned_work_may_be_raised_and_prepared_before_it_starts(pack):
    pack["incident"]["kind"] = "high_risk_operation"
    pack["incident"]["reported_at"] = "2025-03-10T09:00:00+02:00"
    pack["steps"][0]["evidence"][0]["collected_at"] = "2025-03-11T09:00:00+02:00"
    assert found(pack) == []


# location.mismatch --------------------------------------------------------------------------------


def test_evidence_located_at_another_shaft_is_flagged(pack):
    pack["steps"][0]["evidence"][0]["location"] = "Shaft 3, Level 14"
    assert found(pack) == [("make_safe", "location.mismatch")]
    assert (
        "names 'Shaft 3', which contradicts the incident location 'Shaft 2, Level 14, 14W32 stope'"
        in (messages(pack)[0])
    )


def test_a_narrative_naming_another_level_is_flagged(pack):
    pack["incident"]["narrative"] += " The slab came down in the Level 12 return airway."
    assert found(pack) == [(None, "location.mismatch")]


def test_a_photo_taken_in_another_area_is_flagged_but_a_statement_taken_there_is_not(pack):
    pack["steps"][1]["evidence"][0]["location"] = "Recovery Plant training room"
    assert found(pack) == []
    pack["steps"][0]["evidence"][0]["location"] = "Recovery Plant"
    assert found(pack) == [("make_safe", "location.mismatch")]


def test_places_moved_to_and_other_spellings_of_the_same_place_are_consistent(pack):
    pack["incident"]["narrative"] += (
        " The crew was withdrawn to Level 12 station. No. 2 Shaft and 14 Level were closed."
    )
    assert found(pack) == []


def test_places_are_read_in_mine_notation():
    assert [(p.type, p.ident) for p in places_in("No. 2 Shaft, 14 Level, pit no. 1, Gate 4a, the recovery plant")] == [
        ("shaft", "2"),
        ("level", "14"),
        ("pit", "1"),
        ("gate", "4A"),
        ("plant", "recovery"),
    ]
    assert places_in("risk level 2, a pit 2 metres deep, the sump, level 3 % full") == []
    assert contradicting_places("the processing plant", "Treatment Plant, DMS") == []
    assert [p.text for p in contradicting_places("Gate 6", "Gate 4, turnstiles")] == ["Gate 6"]


# pole.inconsistent --------------------------------------------------------------------------------


def test_a_narrative_count_of_injured_that_pole_contradicts_is_flagged(pack):
    pack["incident"]["narrative"] += " Two workers were injured."
    assert found(pack) == [(None, "pole.inconsistent")]
    assert "gives 2 as the number of injured people, but the POLE entities list 1" in messages(pack)[0]


def test_a_narrative_count_that_agrees_with_pole_is_fine(pack):
    pack["incident"]["narrative"] += " One worker was injured and no one else was hurt; one witness saw it."
    assert found(pack) == []


def test_nobody_injured_contradicts_an_injured_person_in_pole(pack):
    pack["incident"]["narrative"] += " Nobody was injured."
    assert found(pack) == [(None, "pole.inconsistent")]


def test_a_statement_naming_someone_outside_pole_is_flagged(pack):
    pack["steps"][1]["evidence"][0]["text"] += " Mr Sithole had told us the hanging wall was safe."
    assert found(pack) == [("statements", "pole.inconsistent")]
    assert "names Sithole, who is not among the POLE persons" in messages(pack)[0]


def test_a_statement_naming_its_collector_or_a_pole_person_is_fine(pack):
    pack["steps"][1]["evidence"][0]["text"] += " I told Mr Zulu what I saw. My name is Lerato Khumalo."
    assert found(pack) == []


def test_counts_need_explicit_numbers_in_agreement():
    assert stated_counts("Two workers were injured; 3 witnesses; one suspect.") == {
        "injured": {2},
        "witnesses": {3},
        "suspects": {1},
    }
    assert stated_counts("One of the two workers was injured at 10:15 near Level 14; a worker was hurt.") == {}


def test_a_role_about_someone_else_does_not_put_a_person_in_the_group():
    assert has_role("suspect (sort-house operator)", "suspects")
    assert has_role("pit controller, witness", "witnesses")
    assert not has_role("security officer who searched the suspect", "suspects")
    assert unlisted_people("Mr Botha's search found nothing.", ()) == ["Botha"]


# step.unjustified_not_applicable ------------------------------------------------------------------


@pytest.mark.parametrize(
    "justification", ["", "n/a", "N/A.", "none", "-", "na", "xxxxx", "....", "Not applicable to this incident."]
)
def test_a_mandatory_step_not_applicable_without_a_reason_is_flagged(pack, justification):
    step = pack["steps"][1]
    step.update(status="not_applicable", justification=justification, evidence=[])
    assert found(pack) == [("statements", "step.unjustified_not_applicable")]


def test_a_real_justification_is_fine_and_an_optional_step_needs_a_reason_too(pack):
    pack["steps"][1].update(
        status="not_applicable",
        evidence=[],
        justification="The fall happened in an empty stope during the blast clearance; nobody saw it.",
    )
    pack["steps"][2].update(status="not_applicable", justification="Not needed here")
    assert found(pack) == []
    pack["steps"][2].update(justification="n/a")
    assert found(pack) == [(pack["steps"][2]["key"], "step.unjustified_not_applicable")]
    assert "Optional step 3" in messages(pack)[0] and "gives only 'n/a'" in messages(pack)[0]


def test_the_template_flag_asks_an_optional_step_for_substance(pack):
    pack["steps"][2].update(status="not_applicable", justification="Not needed here", substantive_justification=True)
    assert found(pack) == [(pack["steps"][2]["key"], "step.unjustified_not_applicable")]
    assert "too short to say why" in messages(pack)[0]


def test_a_justification_copied_from_the_step_s_hint_is_flagged(pack):
    hint = (
        "Survey the cavity and plot it on the plan. This step is optional for a small fall inside the support pattern."
    )
    pack["steps"][2].update(
        status="not_applicable",
        instructions=hint,
        justification="This step is optional for a small fall inside the support pattern.",
    )
    assert found(pack) == [(pack["steps"][2]["key"], "step.unjustified_not_applicable")]
    assert "repeats the step's own instructions" in messages(pack)[0]


def test_justification_problem_explains_itself():
    assert justification_problem("  ") == "gives no justification"
    assert justification_problem("none") == "gives only 'none'"
    assert justification_problem("Not needed here").startswith("is too short to say why ('Not needed here'")
    assert justification_problem("Not needed here", substantive=False) == ""
    assert justification_problem("No vehicles or mobile equipment were involved") == ""


# workflow.subworkflow_open and step.incomplete ----------------------------------------------------


def test_a_paused_step_or_an_open_sub_workflow_is_flagged(pack):
    pack["steps"][1]["status"] = "paused"
    pack["steps"][2]["subworkflow_open"] = True
    assert found(pack) == [("statements", "workflow.subworkflow_open"), ("union", "workflow.subworkflow_open")]
    assert messages(pack)[0].startswith("Step 2 'Obtain witness statements' is paused.")
    assert messages(pack)[1].startswith("Step 3 'Inform the union representative' has an open sub-workflow.")


def test_a_mandatory_step_still_open_is_incomplete_but_an_optional_one_is_not(pack):
    pack["steps"][1].update(status="in_progress", evidence=[])
    assert found(pack) == [("statements", "step.incomplete")]
    pack["steps"][1]["mandatory"] = False
    assert found(pack) == []


def test_a_step_waiting_on_a_sub_workflow_is_not_also_incomplete(pack):
    pack["steps"][1].update(status="in_progress", subworkflow_open=True)
    assert found(pack) == [("statements", "workflow.subworkflow_open")]


# ordering -----------------------------------------------------------------------------------------


def test_findings_come_incident_first_then_by_step_then_by_code(pack):
    pack["incident"]["narrative"] = "Rock fell."
    pack["steps"][1]["evidence"][0].update(collector="", collected_at="2025-03-01T08:00:00+02:00")
    pack["steps"][0]["evidence"] = []
    assert found(pack) == [
        (None, "narrative.insufficient"),
        ("make_safe", "evidence.missing"),
        ("statements", "evidence.provenance_incomplete"),
        ("statements", "time.inconsistent"),
    ]
    assert review(pack).verdict == "corrections_required"
