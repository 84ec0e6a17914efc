from iwms.audit import record_event, verify_chain


def test_record_event_starts_a_verifiable_chain(tenant):
    first = record_event(tenant=tenant, action="create", object_type="x", object_id="1")
    second = record_event(tenant=tenant, action="update", object_type="x", object_id="1", changes={"a": [1, 2]})
    assert (first.seq, second.seq) == (1, 2)
    assert second.prev_hash == first.hash
    assert verify_chain(tenant).ok
