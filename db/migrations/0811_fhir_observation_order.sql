-- FHIR Observation searches page in time order (effective, id): wearable samples come
-- through this index in that order, so a page of 50 reads about 50 index entries merged
-- with the patient's visit vitals, instead of sorting every sample of the patient by a
-- computed text id (issue #16, bench:fhir). The id makes the order total among samples of
-- one instant, and lets a count be answered from the index.
create index vitals_patient_time_idx on public.vitals (patient_id, recorded_at, id);
