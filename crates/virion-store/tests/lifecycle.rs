//! The store's behaviour, each test run on SQLite and on PostgreSQL.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::Ctx;
use futures_util::TryStreamExt;
use virion_store::*;

backend_tests!(
    happy_path,
    forbidden_transitions,
    immutability_enforced_by_database,
    revise_and_revoke,
    edit_unreleased,
    data_use_terms,
    role_action_matrix,
    job_leases,
    concurrent_claims,
    concurrent_approvals,
    failed_submission_leaves_nothing,
    large_submission_in_batches,
    verify_finds_damage,
    reprocessing_switches_atomically,
    accounts_and_tokens,
    keyed_actions,
    single_sign_on_identities,
);

use ProcessingResult::{Errors, Ok as Clean, Warnings};

async fn happy_path(cx: Ctx) {
    let s = &cx.store;
    let avs = cx.submit(3).await;
    assert_eq!(avs.len(), 3);
    for av in &avs {
        assert_eq!(av.version, 1);
        Accession::parse(av.accession.as_str(), &cx.prefixes()).unwrap();
        let r = cx.version(av).await;
        assert_eq!(r.status, Status::Received);
        assert_eq!(r.terms, DataUseTerms::Open);
    }
    // Submitted metadata is kept byte for byte, odd spacing included.
    assert_eq!(cx.version(&avs[0]).await.submitted_metadata_json, Ctx::entry(0).metadata_json);
    assert_eq!(s.job_counts().await.unwrap(), (3, 0, 0));

    let jobs = s.claim_jobs("w1", 1, 10, Duration::from_secs(60)).await.unwrap();
    assert_eq!(jobs.len(), 3);
    assert_eq!(jobs[0].sequence, Ctx::sequence(0));
    assert_eq!(jobs[0].metadata_json, Ctx::entry(0).metadata_json);
    assert_eq!(cx.version(&avs[0]).await.status, Status::InProcessing);
    let results = [Clean, Warnings, Errors];
    for (job, result) in jobs.iter().zip(results) {
        s.complete_job("w1", job.id, &Ctx::outcome(result)).await.unwrap();
    }
    assert_eq!(s.job_counts().await.unwrap(), (0, 0, 3));
    let r = cx.version(&avs[1]).await;
    assert_eq!(r.status, Status::Processed);
    let p = r.processed.unwrap();
    assert_eq!((p.result, p.pipeline_version, p.dataset_version.as_str()), (Warnings, 1, "test-2025"));
    assert!(p.warnings_json.contains("odd date"));

    let counts = s.status_counts(cx.curator, cx.group).await.unwrap();
    assert_eq!(counts.iter().map(|c| c.2).sum::<i64>(), 3);

    // Errors block approval; warnings do not (unless asked).
    let err = s.approve(cx.curator, cx.group, Some(&avs[2..3]), Scope::All).await.unwrap_err();
    assert!(matches!(err, StoreError::HasErrors { .. }), "{err}");
    let none = s.approve(cx.curator, cx.group, None, Scope::WithoutWarnings).await.unwrap();
    assert_eq!(none, vec![avs[0].clone()]);
    let rest = s.approve(cx.curator, cx.group, None, Scope::All).await.unwrap();
    assert_eq!(rest, vec![avs[1].clone()]);
    assert_eq!(cx.version(&avs[1]).await.status, Status::Approved);

    let released = s.release_approved().await.unwrap();
    let mut expect = vec![avs[0].clone(), avs[1].clone()];
    expect.sort();
    assert_eq!(released, expect);
    let r0 = s.get_version(None, &avs[0]).await.unwrap();
    assert_eq!(r0.status, Status::Released);
    assert!(r0.release_seq.is_some() && r0.released_at_ms.is_some());

    // The public sees released versions only.
    assert!(matches!(s.get_version(None, &avs[2]).await, Err(StoreError::NotFound { .. })));
    assert!(matches!(s.get_version(Some(cx.outsider), &avs[2]).await, Err(StoreError::NotFound { .. })));
    assert_eq!(s.get_version(Some(cx.consumer), &avs[2]).await.unwrap().status, Status::Processed);
    let public = s.list_versions(Some(cx.outsider), &ListFilter::default()).await.unwrap();
    assert_eq!(public.len(), 2);
    assert_eq!(s.list_versions(Some(cx.consumer), &ListFilter::default()).await.unwrap().len(), 3);
    assert_eq!(s.get_sequence(None, &avs[1]).await.unwrap(), Ctx::sequence(1));

    let stream: Vec<ReleasedVersion> = s.released_stream(cx.organism).try_collect().await.unwrap();
    assert_eq!(stream.iter().map(|r| r.record.accession_version.clone()).collect::<Vec<_>>(), expect);
    for r in &stream {
        let i = r.record.submission_key[7..].parse::<usize>().unwrap();
        assert_eq!(r.sequence, Ctx::sequence(i));
        assert!(r.record.is_latest);
    }

    // Discard the one with errors: gone with its accession; its audit trail stays.
    let gone = s.discard(cx.submitter, cx.group, None, Scope::WithErrors).await.unwrap();
    assert_eq!(gone, vec![avs[2].clone()]);
    assert!(matches!(s.get_version(Some(cx.admin), &avs[2]).await, Err(StoreError::NotFound { .. })));
    let trail = s.audit_trail(&avs[2].accession).await.unwrap();
    assert_eq!(trail.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["processed", "discard"]);
    let trail = s.audit_trail(&avs[0].accession).await.unwrap();
    assert_eq!(
        trail.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["processed", "approve", "release"]
    );
    assert_eq!(trail[1].user, Some(cx.curator));
    assert_eq!(s.verify(true).await.unwrap(), vec![]);
}

async fn forbidden_transitions(cx: Ctx) {
    let s = &cx.store;
    let avs = cx.submit(3).await;
    let is_transition = |e: StoreError| matches!(e, StoreError::InvalidTransition { .. });
    // RECEIVED cannot be approved.
    assert!(is_transition(s.approve(cx.curator, cx.group, Some(&avs[..1]), Scope::All).await.unwrap_err()));
    // IN_PROCESSING cannot be approved.
    let jobs = s.claim_jobs("w", 1, 1, Duration::from_secs(60)).await.unwrap();
    assert!(is_transition(s.approve(cx.curator, cx.group, Some(&avs[..1]), Scope::All).await.unwrap_err()));
    // Completing a job one does not hold, or twice.
    let err = s.complete_job("other", jobs[0].id, &Ctx::outcome(Clean)).await.unwrap_err();
    assert!(matches!(err, StoreError::LeaseLost { .. }));
    s.complete_job("w", jobs[0].id, &Ctx::outcome(Clean)).await.unwrap();
    assert!(matches!(
        s.complete_job("w", jobs[0].id, &Ctx::outcome(Clean)).await,
        Err(StoreError::LeaseLost { .. })
    ));
    // Approving twice; releasing nothing twice.
    s.approve(cx.curator, cx.group, Some(&avs[..1]), Scope::All).await.unwrap();
    assert!(is_transition(s.approve(cx.curator, cx.group, Some(&avs[..1]), Scope::All).await.unwrap_err()));
    // Approved and released versions cannot be discarded.
    assert!(is_transition(s.discard(cx.curator, cx.group, Some(&avs[..1]), Scope::All).await.unwrap_err()));
    s.release_approved().await.unwrap();
    assert!(s.release_approved().await.unwrap().is_empty());
    assert!(is_transition(s.discard(cx.curator, cx.group, Some(&avs[..1]), Scope::All).await.unwrap_err()));
    assert!(is_transition(s.approve(cx.curator, cx.group, Some(&avs[..1]), Scope::All).await.unwrap_err()));
    // Unreleased entries cannot be revised or revoked.
    let rev = Revision { accession: avs[1].accession.clone(), metadata_json: "{}".into(), sequence: None };
    let err =
        s.revise(cx.submitter, futures_util::stream::iter([Ok::<_, std::io::Error>(rev)])).await.unwrap_err();
    assert!(matches!(err, StoreError::CannotRevise { .. }), "{err}");
    let err = s.revoke(cx.curator, std::slice::from_ref(&avs[1].accession), "x").await.unwrap_err();
    assert!(matches!(err, StoreError::CannotRevise { .. }), "{err}");
    // Approving a version of another group's entry, or an unknown one.
    let other = s.create_group("other-lab", cx.curator).await.unwrap();
    let err = s.approve(cx.curator, other, Some(&avs[..1]), Scope::All).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    let ghost = Accession::new("VRN", 999_999).unwrap().at(1);
    assert!(matches!(
        s.approve(cx.curator, cx.group, Some(&[ghost]), Scope::All).await,
        Err(StoreError::NotFound { .. })
    ));
    // A failed list approval changes nothing.
    cx.process_all(|_| Clean).await;
    let bad = [avs[1].clone(), avs[0].clone()];
    assert!(s.approve(cx.curator, cx.group, Some(&bad), Scope::All).await.is_err());
    assert_eq!(cx.version(&avs[1]).await.status, Status::Processed);
}

async fn immutability_enforced_by_database(cx: Ctx) {
    let s = &cx.store;
    let avs = cx.submit(1).await;
    cx.process_all(|_| Clean).await;
    s.approve(cx.curator, cx.group, None, Scope::All).await.unwrap();
    s.release_approved().await.unwrap();
    let rev = Revision {
        accession: avs[0].accession.clone(),
        metadata_json: "{\"strain\":\"x\"}".into(),
        sequence: None,
    };
    s.revise(cx.submitter, futures_util::stream::iter([Ok::<_, std::io::Error>(rev)])).await.unwrap();
    let acc = avs[0].accession.as_str();
    let before = cx.version(&avs[0]).await;
    // Raw SQL that bypasses the API is stopped by the triggers.
    for sql in [
        "UPDATE versions SET submitted_metadata = '{}' WHERE accession = $1 AND version = 1",
        "UPDATE versions SET sequence_blob_id = NULL WHERE accession = $1 AND version = 1",
        "UPDATE versions SET status = 'PROCESSED' WHERE accession = $1 AND version = 1",
        "DELETE FROM versions WHERE accession = $1 AND version = 1",
        "UPDATE processing_results SET result = 'ERRORS' WHERE accession = $1",
        "DELETE FROM audit_log WHERE accession = $1",
    ] {
        let res = sqlx::query(sql).bind(acc).execute(&raw_pool(s).await).await;
        assert!(res.is_err(), "{sql} was allowed");
    }
    // Status cannot move on an older version even forward-looking; and never backwards.
    let v2 = avs[0].accession.at(2);
    let res = sqlx::query("UPDATE versions SET status = 'RECEIVED' WHERE accession = $1 AND version = 2")
        .bind(acc)
        .execute(&raw_pool(s).await)
        .await;
    assert!(res.is_ok(), "a no-op status write on the newest version is fine");
    assert_eq!(cx.version(&avs[0]).await, before);
    assert_eq!(cx.version(&v2).await.status, Status::Received);
}

/// The store's pool, for tests that go around the API.
async fn raw_pool(s: &Store) -> sqlx::AnyPool {
    s.pool().clone()
}

async fn revise_and_revoke(cx: Ctx) {
    let s = &cx.store;
    let avs = cx.submit(2).await;
    cx.process_all(|_| Clean).await;
    s.approve(cx.curator, cx.group, None, Scope::All).await.unwrap();
    s.release_approved().await.unwrap();
    let acc = avs[0].accession.clone();
    let v1 = cx.version(&avs[0]).await;

    // Metadata-only revision reuses the blob.
    let rev =
        Revision { accession: acc.clone(), metadata_json: "{\"strain\":\"renamed\"}".into(), sequence: None };
    let out =
        s.revise(cx.submitter, futures_util::stream::iter([Ok::<_, std::io::Error>(rev)])).await.unwrap();
    assert_eq!(out, vec![acc.at(2)]);
    let v2 = cx.version(&acc.at(2)).await;
    assert_eq!(v2.status, Status::Received);
    assert_eq!(v2.sequence_blob_id, v1.sequence_blob_id);
    assert_eq!(s.get_sequence(Some(cx.admin), &acc.at(2)).await.unwrap(), Ctx::sequence(0));
    // A second revision while one is pending is refused.
    let again = Revision { accession: acc.clone(), metadata_json: "{}".into(), sequence: None };
    assert!(
        s.revise(cx.submitter, futures_util::stream::iter([Ok::<_, std::io::Error>(again)])).await.is_err()
    );
    cx.process_all(|_| Clean).await;
    s.approve(cx.curator, cx.group, None, Scope::All).await.unwrap();
    s.release_approved().await.unwrap();

    // Old version unchanged apart from no longer being latest.
    let v1_now = cx.version(&avs[0]).await;
    assert!(!v1_now.is_latest);
    assert_eq!(VersionRecord { is_latest: true, ..v1_now }, v1);

    // Revision with a new sequence gets its own blob.
    let new_seq = Ctx::sequence(40);
    let rev =
        Revision { accession: acc.clone(), metadata_json: "{}".into(), sequence: Some(new_seq.clone()) };
    s.revise(cx.submitter, futures_util::stream::iter([Ok::<_, std::io::Error>(rev)])).await.unwrap();
    assert_eq!(cx.version(&acc.at(3)).await.sequence_blob_id.as_deref(), Some(format!("{acc}.3").as_str()));
    assert_eq!(s.get_sequence(Some(cx.admin), &acc.at(3)).await.unwrap(), new_seq);
    cx.process_all(|_| Clean).await;
    s.approve(cx.curator, cx.group, None, Scope::All).await.unwrap();
    s.release_approved().await.unwrap();

    // Revocation: a submitter may not, a curator may; approved like any other version.
    assert!(matches!(
        s.revoke(cx.submitter, std::slice::from_ref(&acc), "mix-up").await,
        Err(StoreError::Forbidden { .. })
    ));
    let out = s.revoke(cx.curator, std::slice::from_ref(&acc), "sample mix-up").await.unwrap();
    assert_eq!(out, vec![acc.at(4)]);
    let v4 = cx.version(&acc.at(4)).await;
    assert!(v4.is_revocation);
    assert_eq!(v4.status, Status::Processed);
    assert_eq!(v4.version_comment.as_deref(), Some("sample mix-up"));
    assert_eq!(s.approve(cx.curator, cx.group, None, Scope::WithoutWarnings).await.unwrap(), vec![acc.at(4)]);
    s.release_approved().await.unwrap();
    assert!(matches!(
        s.revoke(cx.curator, std::slice::from_ref(&acc), "again").await,
        Err(StoreError::CannotRevise { .. })
    ));

    let stream: Vec<ReleasedVersion> = s.released_stream(cx.organism).try_collect().await.unwrap();
    let ids: Vec<String> = stream.iter().map(|r| r.record.accession_version.to_string()).collect();
    let mut expect = vec![
        format!("{acc}.1"),
        format!("{acc}.2"),
        format!("{acc}.3"),
        format!("{acc}.4"),
        avs[1].to_string(),
    ];
    expect.sort();
    assert_eq!(ids, expect);
    let revoked = stream.iter().find(|r| r.record.accession_version == acc.at(4)).unwrap();
    assert!(revoked.sequence.is_empty() && revoked.record.is_latest);
    // Release numbers are unique and increase along the release order.
    let seqs: HashSet<i64> = stream.iter().map(|r| r.record.release_seq.unwrap()).collect();
    assert_eq!(seqs.len(), 5);
}

async fn edit_unreleased(cx: Ctx) {
    let s = &cx.store;
    let avs = cx.submit(2).await;
    let first = avs[0].clone();
    cx.process_all(|av| if *av == first { Errors } else { Clean }).await;
    let av = &avs[0];
    let before = cx.version(av).await;
    assert_eq!(before.processed.as_ref().unwrap().result, Errors);

    // Outsiders and consumers may not edit; a submitter of the group may. The unreleased entry
    // is hidden from an outsider: it answers as if it did not exist.
    let fixed = "{\"strain\":\"fixed\"}";
    assert!(matches!(s.edit(cx.outsider, av, fixed, None).await, Err(StoreError::NotFound { .. })));
    assert!(matches!(s.edit(cx.consumer, av, fixed, None).await, Err(StoreError::Forbidden { .. })));
    s.edit(cx.submitter, av, fixed, None).await.unwrap();
    let after = cx.version(av).await;
    assert_eq!(after.status, Status::Received);
    assert_eq!(after.submitted_metadata_json, fixed);
    assert!(after.processed.is_none(), "the stale result is gone");
    assert_eq!(after.sequence_blob_id, before.sequence_blob_id);
    assert_eq!(s.get_sequence(Some(cx.admin), av).await.unwrap(), Ctx::sequence(0));
    // Processed again like any new version; then it can be approved.
    let jobs = s.claim_jobs("w", 1, 10, Duration::from_secs(60)).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].metadata_json, fixed);
    // Being processed: no edit (the worker's result would be for other data).
    assert!(matches!(s.edit(cx.submitter, av, "{}", None).await, Err(StoreError::CannotRevise { .. })));
    s.complete_job("w", jobs[0].id, &Ctx::outcome(Clean)).await.unwrap();

    // A new sequence replaces the version's own blob.
    let new_seq = Ctx::sequence(41);
    s.edit(cx.submitter, av, fixed, Some(&new_seq)).await.unwrap();
    assert_eq!(s.get_sequence(Some(cx.admin), av).await.unwrap(), new_seq);
    cx.process_all(|_| Clean).await;
    s.approve(cx.curator, cx.group, None, Scope::All).await.unwrap();
    s.release_approved().await.unwrap();

    // Released versions are revised, not edited.
    assert!(matches!(s.edit(cx.submitter, av, "{}", None).await, Err(StoreError::CannotRevise { .. })));
    let trail = s.audit_trail(&av.accession).await.unwrap();
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["processed", "edit", "processed", "edit", "processed", "approve", "release"]);
    assert!(trail[1].detail_json.contains("previousMetadata"), "{}", trail[1].detail_json);
    assert_eq!(s.verify(true).await.unwrap(), vec![]);
}

async fn data_use_terms(cx: Ctx) {
    let s = &cx.store;
    let day = |n: i64| cx.store.today() + chrono::Duration::days(n);
    let too_far = cx.request(DataUseTerms::Restricted { until: day(366) });
    let rows = futures_util::stream::iter([Ok::<_, std::io::Error>(Ctx::entry(0))]);
    assert!(matches!(s.submit(&too_far, rows).await, Err(StoreError::Terms(TermsError::TooFar { .. }))));
    let restricted = cx.request(DataUseTerms::Restricted { until: day(30) });
    let rows = futures_util::stream::iter([Ok::<_, std::io::Error>(Ctx::entry(0))]);
    s.submit(&restricted, rows).await.unwrap();
    let av =
        s.list_versions(Some(cx.curator), &ListFilter::default()).await.unwrap()[0].accession_version.clone();
    assert_eq!(cx.version(&av).await.terms, DataUseTerms::Restricted { until: day(30) });

    // Shorten; lengthening and re-restricting are refused.
    s.change_terms(
        cx.submitter,
        std::slice::from_ref(&av.accession),
        DataUseTerms::Restricted { until: day(20) },
    )
    .await
    .unwrap();
    let err = s
        .change_terms(
            cx.submitter,
            std::slice::from_ref(&av.accession),
            DataUseTerms::Restricted { until: day(25) },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Terms(TermsError::LessOpen { .. })), "{err}");
    assert!(matches!(
        s.change_terms(cx.consumer, std::slice::from_ref(&av.accession), DataUseTerms::Open).await,
        Err(StoreError::Forbidden { .. })
    ));
    assert_eq!(cx.version(&av).await.terms, DataUseTerms::Restricted { until: day(20) });

    // The restriction lapses by itself.
    cx.advance_ms(20 * 86_400_000);
    assert_eq!(cx.version(&av).await.terms, DataUseTerms::Open);
    let err = s
        .change_terms(
            cx.submitter,
            std::slice::from_ref(&av.accession),
            DataUseTerms::Restricted { until: day(10) },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Terms(TermsError::LessOpen { .. })), "{err}");
    s.change_terms(cx.submitter, std::slice::from_ref(&av.accession), DataUseTerms::Open).await.unwrap();
    let history = s.terms_history(&av.accession).await.unwrap();
    let terms: Vec<String> = history.iter().map(|h| h.terms.to_string()).collect();
    assert_eq!(terms.len(), 3);
    assert!(terms[0].starts_with("RESTRICTED") && terms[1].starts_with("RESTRICTED") && terms[2] == "OPEN");
    assert_eq!(history[1].changed_by, cx.submitter);
}

async fn role_action_matrix(cx: Ctx) {
    let s = &cx.store;
    use Action::*;
    let expected: [(UserId, &str, &[Action]); 5] = [
        (cx.curator, "curator", &Action::ALL),
        (cx.admin, "admin", &Action::ALL),
        (cx.submitter, "submitter", &[ViewUnreleased, Submit, Discard, Revise, ChangeTerms]),
        (cx.consumer, "consumer", &[ViewUnreleased]),
        (cx.outsider, "outsider", &[]),
    ];
    for (user, name, allowed) in expected {
        for action in Action::ALL {
            assert_eq!(
                s.can(user, action, cx.group).await.unwrap(),
                allowed.contains(&action),
                "{name} {action:?}"
            );
        }
    }
    // The matrix holds in the operations themselves.
    let avs = cx.submit(2).await;
    for user in [cx.consumer, cx.outsider] {
        let req = SubmitRequest { submitter: user, ..cx.request(DataUseTerms::Open) };
        let rows = futures_util::stream::iter([Ok::<_, std::io::Error>(Ctx::entry(9))]);
        assert!(matches!(s.submit(&req, rows).await, Err(StoreError::Forbidden { .. })));
        assert!(matches!(
            s.discard(user, cx.group, None, Scope::All).await,
            Err(StoreError::Forbidden { .. })
        ));
        // An outsider cannot see the unreleased entry: it does not exist for them.
        let refused = s.change_terms(user, std::slice::from_ref(&avs[0].accession), DataUseTerms::Open).await;
        if user == cx.outsider {
            assert!(matches!(refused, Err(StoreError::NotFound { .. })), "{refused:?}");
        } else {
            assert!(matches!(refused, Err(StoreError::Forbidden { .. })), "{refused:?}");
        }
    }
    cx.process_all(|_| Clean).await;
    for user in [cx.submitter, cx.consumer, cx.outsider] {
        assert!(matches!(
            s.approve(user, cx.group, None, Scope::All).await,
            Err(StoreError::Forbidden { .. })
        ));
        assert!(matches!(
            s.set_role(user, cx.group, user, Role::Curator).await,
            Err(StoreError::Forbidden { .. })
        ));
    }
    assert_eq!(s.get_version(Some(cx.consumer), &avs[0]).await.unwrap().status, Status::Processed);
    assert!(s.get_version(Some(cx.outsider), &avs[0]).await.is_err());
    assert!(s.list_versions(Some(cx.outsider), &ListFilter::default()).await.unwrap().is_empty());
    assert_eq!(s.approve(cx.admin, cx.group, Some(&avs[..1]), Scope::All).await.unwrap().len(), 1);
    s.release_approved().await.unwrap();
    for user in [cx.submitter, cx.consumer, cx.outsider] {
        assert!(matches!(
            s.revoke(user, std::slice::from_ref(&avs[0].accession), "x").await,
            Err(StoreError::Forbidden { .. })
        ));
    }
    let rev = Revision { accession: avs[0].accession.clone(), metadata_json: "{}".into(), sequence: None };
    for user in [cx.consumer, cx.outsider] {
        let r = s.revise(user, futures_util::stream::iter([Ok::<_, std::io::Error>(rev.clone())])).await;
        assert!(matches!(r, Err(StoreError::Forbidden { .. })));
    }
    // Membership changes take effect; another group's member is an outsider here.
    s.remove_member(cx.curator, cx.group, cx.consumer).await.unwrap();
    assert!(!s.can(cx.consumer, ViewUnreleased, cx.group).await.unwrap());
    let theirs = s.create_group("their-lab", cx.outsider).await.unwrap();
    assert!(s.can(cx.outsider, Approve, theirs).await.unwrap());
    assert!(!s.can(cx.curator, ViewUnreleased, theirs).await.unwrap());
    let m = s.memberships(Some(cx.outsider), None).await.unwrap();
    assert_eq!((m.len(), m[0].role, m[0].group_name.as_str()), (1, Role::Curator, "their-lab"));
}

async fn job_leases(cx: Ctx) {
    let s = &cx.store;
    cx.submit(3).await;
    let lease = Duration::from_secs(30);
    let a = s.claim_jobs("worker-a", 1, 2, lease).await.unwrap();
    assert_eq!(a.len(), 2);
    let b = s.claim_jobs("worker-b", 1, 5, lease).await.unwrap();
    assert_eq!(b.len(), 1);
    assert!(s.claim_jobs("worker-b", 1, 5, lease).await.unwrap().is_empty());
    // worker-a dies; after its lease, worker-b takes its jobs over.
    cx.advance_ms(31_000);
    // Every lease ran out, worker-b's own included: all three come back, each a second time.
    let b2 = s.claim_jobs("worker-b", 1, 5, lease).await.unwrap();
    assert_eq!(b2.len(), 3);
    assert!(a.iter().all(|j| b2.iter().any(|k| k.id == j.id)));
    assert!(b2.iter().all(|j| j.attempts == 2));
    for j in &a {
        assert!(matches!(
            s.complete_job("worker-a", j.id, &Ctx::outcome(Clean)).await,
            Err(StoreError::LeaseLost { .. })
        ));
    }
    for j in b2.iter() {
        s.complete_job("worker-b", j.id, &Ctx::outcome(Clean)).await.unwrap();
    }
    assert_eq!(cx.version(&b2[0].accession_version).await.status, Status::Processed);
    assert_eq!(cx.version(&b2[0].accession_version).await.processed.unwrap().result, Clean);

    // A node restarting reclaims at once what its killed process held, and nothing else.
    cx.submit(2).await;
    let held = s.claim_jobs("serve@host:/data#41-0-aa", 1, 1, lease).await.unwrap();
    let other = s.claim_jobs("serve@host:/data2#7-0-bb", 1, 1, lease).await.unwrap();
    assert_eq!((held.len(), other.len()), (1, 1));
    assert_eq!(s.reclaim_jobs("serve@host:/data#").await.unwrap(), 1);
    let again = s.claim_jobs("serve@host:/data#42-0-cc", 1, 5, lease).await.unwrap();
    assert_eq!(again.iter().map(|j| j.id).collect::<Vec<_>>(), [held[0].id]);
}

async fn concurrent_claims(cx: Ctx) {
    let n = 60;
    cx.submit(n).await;
    let worker = |name: &'static str| {
        let s = cx.store.clone();
        tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let jobs = s.claim_jobs(name, 1, 4, Duration::from_secs(600)).await.unwrap();
                if jobs.is_empty() {
                    break got;
                }
                for j in jobs {
                    s.complete_job(name, j.id, &Ctx::outcome(Clean)).await.unwrap();
                    got.push(j.id);
                }
            }
        })
    };
    let (a, b) = (worker("a"), worker("b"));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let sa: HashSet<_> = a.iter().collect();
    let sb: HashSet<_> = b.iter().collect();
    assert!(sa.is_disjoint(&sb), "a job was claimed twice");
    assert_eq!(sa.len() + sb.len(), n);
    assert_eq!(a.len() + b.len(), n);
    assert_eq!(cx.store.job_counts().await.unwrap(), (0, 0, n as i64));
    let all = cx.store.list_versions(Some(cx.admin), &ListFilter::default()).await.unwrap();
    assert!(all.iter().all(|r| r.status == Status::Processed));
}

async fn concurrent_approvals(cx: Ctx) {
    let n = 40;
    let avs = cx.submit(n).await;
    cx.process_all(|_| Clean).await;
    let second = cx.store.create_user("cleo", None, false).await.unwrap();
    cx.store.set_role(cx.curator, cx.group, second, Role::Curator).await.unwrap();
    let approve = |user: UserId, only: Option<Vec<AccessionVersion>>| {
        let s = cx.store.clone();
        let group = cx.group;
        tokio::spawn(async move { s.approve(user, group, only.as_deref(), Scope::All).await })
    };
    let a = approve(cx.curator, None);
    let b = approve(second, None);
    let (a, b) = (a.await.unwrap().unwrap(), b.await.unwrap().unwrap());
    let sa: HashSet<_> = a.iter().collect();
    assert!(b.iter().all(|x| !sa.contains(x)), "a version was approved twice");
    assert_eq!(a.len() + b.len(), n);
    for av in &avs {
        let trail = cx.store.audit_trail(&av.accession).await.unwrap();
        assert_eq!(trail.iter().filter(|e| e.action == "approve").count(), 1);
        assert_eq!(cx.version(av).await.status, Status::Approved);
    }
}

#[derive(Debug, thiserror::Error)]
#[error("upload broke")]
struct Broken;

async fn failed_submission_leaves_nothing(cx: Ctx) {
    let s = &cx.store;
    let rows = (0..2500).map(|i| if i == 2099 { Err(Broken) } else { Ok(Ctx::entry(i)) });
    let err = s.submit(&cx.request(DataUseTerms::Open), futures_util::stream::iter(rows)).await.unwrap_err();
    assert!(matches!(err, StoreError::Input { row: 2100, .. }), "{err}");
    assert!(s.list_versions(Some(cx.admin), &ListFilter::default()).await.unwrap().is_empty());
    assert_eq!(s.job_counts().await.unwrap(), (0, 0, 0));
    // A duplicate submission id in the second batch, and a broken metadata row.
    let rows = (0..1500).map(|i| Ok::<_, Broken>(Ctx::entry(if i == 1400 { 3 } else { i })));
    let err = s.submit(&cx.request(DataUseTerms::Open), futures_util::stream::iter(rows)).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::BadEntry { row: 1401, submission_key, .. } if submission_key == "sample-3"),
        "{err}"
    );
    // …and one within a batch.
    let rows = (0..10).map(|i| Ok::<_, Broken>(Ctx::entry(if i == 7 { 2 } else { i })));
    let err = s.submit(&cx.request(DataUseTerms::Open), futures_util::stream::iter(rows)).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::BadEntry { row: 8, submission_key, .. } if submission_key == "sample-2"),
        "{err}"
    );
    let mut bad = Ctx::entry(0);
    bad.metadata_json = "[1,2]".into();
    let err = s
        .submit(&cx.request(DataUseTerms::Open), futures_util::stream::iter([Ok::<_, Broken>(bad)]))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::BadEntry { row: 1, .. }), "{err}");
    assert!(s.list_versions(Some(cx.admin), &ListFilter::default()).await.unwrap().is_empty());
    assert_eq!(s.job_counts().await.unwrap(), (0, 0, 0));
}

/// `verify` finds what a crash or a hand edit could break.
async fn verify_finds_damage(cx: Ctx) {
    let s = &cx.store;
    let avs = cx.submit(3).await;
    assert_eq!(s.verify(true).await.unwrap(), vec![]);
    let pool = raw_pool(s).await;
    sqlx::query("DELETE FROM jobs WHERE accession = $1")
        .bind(avs[0].accession.as_str())
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE sequence_blobs SET compressed = $1 WHERE id = $2")
        .bind(vec![1u8, 2, 3])
        .bind(avs[1].to_string())
        .execute(&pool)
        .await
        .unwrap();
    let found = s.verify(true).await.unwrap();
    let rules: Vec<&str> = found.iter().map(|f| f.rule).collect();
    assert_eq!(
        rules,
        [
            "a version awaiting processing has no open job",
            "a stored sequence does not decompress to its recorded length"
        ],
        "{found:?}"
    );
    assert_eq!(found[0].examples, [avs[0].to_string()]);
    assert_eq!(found[1].examples, [avs[1].to_string()]);
    assert_eq!(s.verify(false).await.unwrap().len(), 1);
}

/// A new pipeline fingerprint reprocesses everything in the background; reads switch to the
/// new results all at once when the last job is done.
async fn reprocessing_switches_atomically(cx: Ctx) {
    let s = &cx.store;
    let lease = Duration::from_secs(60);
    let first = s.register_pipeline("code-1 dataset-a", "{}").await.unwrap();
    assert_eq!(first, PipelineRegistration { version: 1, reprocessing: false, newest: 1, current: 1 });
    let avs = cx.submit(3).await;
    cx.process_all(|_| Clean).await;
    s.approve(cx.curator, cx.group, Some(std::slice::from_ref(&avs[0])), Scope::All).await.unwrap();
    s.release_approved().await.unwrap();
    assert!(!s.register_pipeline("code-1 dataset-a", "{}").await.unwrap().reprocessing);
    assert_eq!(s.switch_pipeline_if_complete().await.unwrap(), None);

    let second = s.register_pipeline("code-1 dataset-b", "{}").await.unwrap();
    assert_eq!(second, PipelineRegistration { version: 2, reprocessing: true, newest: 2, current: 1 });
    // A worker of the old pipeline finds nothing to do; the old fingerprint stays version 1.
    assert!(s.claim_jobs("old", 1, 10, lease).await.unwrap().is_empty());
    assert_eq!(s.register_pipeline("code-1 dataset-a", "{}").await.unwrap().version, 1);
    // A version submitted meanwhile is processed by the new pipeline only.
    let late = cx.submit(1).await;
    let status = s.pipeline_status().await.unwrap();
    assert_eq!((status.current, status.newest, status.pending, status.done), (1, 2, 4, 0));

    let some = s.claim_jobs("new", 2, 2, lease).await.unwrap();
    assert_eq!(some.len(), 2);
    for job in &some {
        s.complete_job("new", job.id, &Ctx::outcome(Warnings)).await.unwrap();
    }
    assert_eq!(s.switch_pipeline_if_complete().await.unwrap(), None, "jobs are still pending");
    for av in &avs {
        let v = cx.version(av).await;
        let p = v.processed.unwrap();
        assert_eq!((p.pipeline_version, p.result), (1, Clean), "{av}: old results until the switch");
    }
    cx.process_all_for(2, |_| Warnings).await;
    assert_eq!(cx.version(&late[0]).await.processed.unwrap().pipeline_version, 2);
    assert_eq!(s.switch_pipeline_if_complete().await.unwrap(), Some(2));
    assert_eq!(s.switch_pipeline_if_complete().await.unwrap(), None);
    for av in avs.iter().chain(&late) {
        let v = cx.version(av).await;
        let p = v.processed.unwrap();
        assert_eq!((p.pipeline_version, p.result), (2, Warnings), "{av}");
    }
    // The released version kept its status; its history keeps both results.
    assert_eq!(cx.version(&avs[0]).await.status, Status::Released);
    let status = s.pipeline_status().await.unwrap();
    assert_eq!((status.current, status.newest, status.pending), (2, 2, 0));
    assert_eq!(s.verify(true).await.unwrap(), vec![]);
}

async fn large_submission_in_batches(cx: Ctx) {
    let n = 2 * BATCH_ROWS + 17;
    let avs = cx.submit(n).await;
    assert_eq!(avs.len(), n);
    assert_eq!(avs.iter().map(|a| &a.accession).collect::<HashSet<_>>().len(), n);
    assert_eq!(cx.store.job_counts().await.unwrap(), (n as i64, 0, 0));
    assert_eq!(cx.store.verify(true).await.unwrap(), vec![]);
    // The accession list streams back in submission order.
    let listed: Vec<(String, Accession)> = {
        let row = sqlx::query("SELECT submission_id FROM entries WHERE accession = $1")
            .bind(avs[0].accession.as_str())
            .fetch_one(cx.store.pool())
            .await
            .unwrap();
        let submission = SubmissionId(sqlx::Row::try_get(&row, 0).unwrap());
        cx.store.submission_accessions(submission).try_collect().await.unwrap()
    };
    assert_eq!(listed.len(), n);
    for (i, (key, accession)) in listed.iter().enumerate() {
        assert_eq!((key.as_str(), accession), (Ctx::entry(i).submission_key.as_str(), &avs[i].accession));
    }
    for i in [0, BATCH_ROWS, n - 1] {
        assert_eq!(cx.store.get_sequence(Some(cx.curator), &avs[i]).await.unwrap(), Ctx::sequence(i));
        assert_eq!(cx.version(&avs[i]).await.submitted_metadata_json, Ctx::entry(i).metadata_json);
    }
}

async fn accounts_and_tokens(cx: Ctx) {
    let s = &cx.store;
    let u = s.create_user("pat", Some("correct horse"), false).await.unwrap();
    assert!(matches!(s.create_user("pat", None, false).await, Err(StoreError::AlreadyExists { .. })));
    assert_eq!(s.verify_password("pat", "correct horse").await.unwrap().map(|x| x.id), Some(u));
    assert!(s.verify_password("pat", "wrong").await.unwrap().is_none());
    assert!(s.verify_password("nobody", "x").await.unwrap().is_none());
    assert!(s.verify_password("sam", "x").await.unwrap().is_none(), "token-only account");
    let (id, token) = s.create_token(u, "laptop").await.unwrap();
    assert!(token.starts_with(TOKEN_PREFIX) && token.len() > 60);
    assert_eq!(s.authenticate_token(&token).await.unwrap().map(|x| x.name), Some("pat".into()));
    assert!(s.authenticate_token("vrn_nope").await.unwrap().is_none());
    s.revoke_token(u, id).await.unwrap();
    assert!(s.authenticate_token(&token).await.unwrap().is_none());
    // A session ends after its idle limit without use; each use moves the limit on; a plain
    // API token does not idle out.
    let hour = std::time::Duration::from_secs(3600);
    let (_, session) = s.create_token_with_idle_limit(u, "browser session", Some(hour)).await.unwrap();
    let (_, script) = s.create_token(u, "script").await.unwrap();
    cx.advance_ms(50 * 60_000);
    assert!(s.authenticate_token(&session).await.unwrap().is_some());
    cx.advance_ms(50 * 60_000);
    assert!(s.authenticate_token(&session).await.unwrap().is_some(), "used 50 min ago");
    cx.advance_ms(61 * 60_000);
    assert!(s.authenticate_token(&session).await.unwrap().is_none(), "idle for 61 min");
    assert!(s.authenticate_token(&script).await.unwrap().is_some());
    assert!(s.user_by_name("ada").await.unwrap().is_admin);
    assert!(matches!(
        s.add_organism("test-virus", "ABC", b"ACGT").await,
        Err(StoreError::AlreadyExists { .. })
    ));
    assert!(matches!(s.add_organism("x", "bad1", b"ACGT").await, Err(StoreError::Accession(_))));
    assert_eq!(s.organism_by_name("test-virus").await.unwrap().accession_prefix, "VRN");
}

/// An approve, revise or revoke on a keyed handle records its key and what it made in its own
/// transaction; a second action under the same key changes nothing.
async fn keyed_actions(cx: Ctx) {
    let s = &cx.store;
    let avs = cx.submit(2).await;
    cx.process_all(|_| Clean).await;
    let key = |k: &str| Idempotency { key: k.into(), request_hash: format!("hash-{k}") };
    let approved = s
        .keyed(cx.curator, "approve", key("a1"))
        .approve(cx.curator, cx.group, None, Scope::All)
        .await
        .unwrap();
    assert_eq!(approved.len(), 2);
    let first = s.action_by_key(cx.curator, "a1").await.unwrap().unwrap();
    assert_eq!(first.action, "approve");
    assert_eq!(first.request_hash, "hash-a1");
    let made: Vec<(String, i64)> =
        approved.iter().map(|av| (av.accession.as_str().to_owned(), av.version)).collect();
    assert_eq!(first.versions, made);
    s.release_approved().await.unwrap();

    let acc = avs[0].accession.clone();
    let revision = || Revision { accession: acc.clone(), metadata_json: "{}".into(), sequence: None };
    let keyed = s.keyed(cx.curator, "revise", key("r1"));
    let out = keyed
        .revise(cx.curator, futures_util::stream::iter([Ok::<_, std::io::Error>(revision())]))
        .await
        .unwrap();
    assert_eq!(out, vec![acc.at(2)]);
    // The same key again (a retry that missed the replay): refused whole, nothing added.
    let again = s.keyed(cx.curator, "revoke", key("r1"));
    let other = avs[1].accession.clone();
    let refused = again.revoke(cx.curator, std::slice::from_ref(&other), "x").await;
    assert!(matches!(refused, Err(StoreError::AlreadyExists { .. })), "{refused:?}");
    assert!(cx.version(&other.at(1)).await.is_latest, "the refused revocation left nothing");
    // Keys are per user: another user's key of the same text is theirs.
    assert!(s.action_by_key(cx.submitter, "r1").await.unwrap().is_none());
    // A handle without a key records nothing.
    s.revoke(cx.curator, std::slice::from_ref(&other), "plain").await.unwrap();
    assert!(s.action_by_key(cx.curator, "plain").await.unwrap().is_none());
}

/// An identity provider's account signs in as one local user, created at its first login
/// under a free name; the memberships its claims grant follow each login, and memberships
/// given on the node stay.
async fn single_sign_on_identities(cx: Ctx) {
    let s = &cx.store;
    let issuer = "https://login.example.org/oidc/";
    let ana = s.user_for_identity(issuer, "sub-ana", "ana").await.unwrap();
    assert_eq!(ana.name, "ana");
    assert_eq!(
        s.user_for_identity(issuer, "sub-ana", "ana-renamed").await.unwrap().id,
        ana.id,
        "same account"
    );
    // A name taken by a local user: the provider's host tells them apart.
    let other = s.user_for_identity(issuer, "sub-cora", "cora").await.unwrap();
    assert_eq!(other.name, "cora@login.example.org");
    let again = s.user_for_identity("https://other.example.net", "sub-cora", "cora").await.unwrap();
    assert_eq!(again.name, "cora@other.example.net");
    assert!(matches!(
        s.user_for_identity(issuer, "sub-x", " padded ").await,
        Err(StoreError::BadName { .. })
    ));
    assert!(s.verify_password("ana", "").await.unwrap().is_none(), "no password: the provider signs her in");

    let second = s.create_group("second", cx.curator).await.unwrap();
    s.set_role(cx.curator, second, ana.id, Role::Consumer).await.unwrap();
    let roles = |id| async move {
        let mut r: Vec<(String, Role)> = s
            .memberships(Some(id), None)
            .await
            .unwrap()
            .into_iter()
            .map(|m| (m.group_name, m.role))
            .collect();
        r.sort_by(|a, b| a.0.cmp(&b.0));
        r
    };
    s.sync_granted_memberships(ana.id, issuer, &[(cx.group, Role::Curator)]).await.unwrap();
    assert_eq!(roles(ana.id).await, vec![("lab".into(), Role::Curator), ("second".into(), Role::Consumer)]);
    assert!(s.can(ana.id, Action::Approve, cx.group).await.unwrap());
    // The claim changed: the grant follows; the local membership stays.
    s.sync_granted_memberships(ana.id, issuer, &[(cx.group, Role::Submitter)]).await.unwrap();
    assert_eq!(roles(ana.id).await, vec![("lab".into(), Role::Submitter), ("second".into(), Role::Consumer)]);
    // The claim is gone: so is what it granted.
    s.sync_granted_memberships(ana.id, issuer, &[]).await.unwrap();
    assert_eq!(roles(ana.id).await, vec![("second".into(), Role::Consumer)]);
    // A grant in a group with a local membership takes it over (and a later login withdraws it).
    s.sync_granted_memberships(ana.id, issuer, &[(second, Role::Submitter)]).await.unwrap();
    assert_eq!(roles(ana.id).await, vec![("second".into(), Role::Submitter)]);
    s.sync_granted_memberships(ana.id, issuer, &[]).await.unwrap();
    assert!(roles(ana.id).await.is_empty());
}
