using System.Text;
using Forge.Packages.Container.Cleanup;
using Forge.Packages.Container.Registry;
using Forge.Testing;
using Forge.Tooling.Oci;
using Npgsql;

namespace Forge.Packages.Container.Tests.Integration;

/// <summary>
/// Rule 8 for subjects at the exact moments it matters: a referrer's subject pushed while the cleanup runs, before its
/// batch locks, while it holds its rows, and a push that holds the referrer first; and a referrer deleted before its
/// subject.
/// </summary>
public sealed class CleanupSubjectRaceTests : HookedCleanupFixture
{
    // The subject's content is fixed, so that its digest is known before it is pushed, as a referrer pushed first names it.
    private static readonly ImageBlob SubjectConfig = new(Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux","rootfs":{}}"""), ImageMediaTypes.OciConfig);
    private static readonly ImageBlob SubjectLayer = new(Encoding.UTF8.GetBytes("the subject's only layer"), ImageMediaTypes.OciLayer);

    [TestCase("v1", TestName = "A_subject_pushed_by_tag_after_the_inventory_and_before_the_batch_lock_spares_its_referrer")]
    [TestCase(null, TestName = "A_subject_pushed_by_digest_after_the_inventory_and_before_the_batch_lock_spares_its_referrer")]
    public async Task A_subject_pushed_before_the_batch_lock_spares_its_referrer(string? tag)
    {
        var subject = await SubjectDigestAsync();
        var signature = await H.PushReferrerAsync("demo/app", H.Old, subject);
        var orphan = await H.PushPlatformAsync("demo/app", H.Old);
        PushedManifest? pushed = null;
        Store.BeforeLock = async _ => pushed ??= await PushSubjectAsync("demo/app", tag);

        var report = await H.CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(pushed?.Digest, Is.EqualTo(subject));
            Assert.That(await H.VersionExistsAsync(signature.VersionId), Is.True);
            Assert.That(await H.VersionExistsAsync(orphan.VersionId), Is.False, "the batch is done again without the referrer");
            Assert.That(report.SparedVersions, Is.EqualTo(1));
            Assert.That(report.Candidates.Single(c => c.VersionId == signature.VersionId).Decision, Is.EqualTo(DanglingImageDecision.Spared));
        });
    }

    [Test]
    public async Task A_subject_pushed_before_the_lock_spares_a_chain_of_signatures_from_the_first_batch_on()
    {
        var subject = await SubjectDigestAsync();
        var first = await H.PushReferrerAsync("demo/app", H.Old, subject);
        var second = await H.PushReferrerAsync("demo/app", H.Old, first.Digest);
        var third = await H.PushReferrerAsync("demo/app", H.Old, second.Digest);
        Store.BeforeLock = async _ =>
        {
            Store.BeforeLock = null;
            await PushSubjectAsync("demo/app", "v1");
        };

        var report = await H.CleanupAsync(batchSize: 1);

        Assert.Multiple(async () =>
        {
            Assert.That(await H.CountAsync("SELECT count(*) FROM package_version WHERE id = ANY($1)", new[] { first.VersionId, second.VersionId, third.VersionId }), Is.EqualTo(3));
            Assert.That(report.SparedVersions, Is.EqualTo(3));
            Assert.That(Store.CommittedBatches, Is.Empty);
        });
    }

    [Test]
    public async Task A_subject_push_waits_for_a_batch_that_holds_its_referrer_and_lands_once_the_batch_has_deleted_it()
    {
        var subject = await SubjectDigestAsync();
        var signature = await H.PushReferrerAsync("demo/app", H.Old, subject);
        Task<PushedManifest>? push = null;
        var waited = false;
        Store.AfterLock = async _ =>
        {
            // The batch holds (has deleted) the referrer: the push must wait for it, whatever it decides.
            push = Task.Run(() => PushSubjectAsync("demo/app", "v1"));
            await Wait.UntilAsync(async () => push.IsCompleted || await LockWaitersAsync() > 0);
            waited = !push.IsCompleted;
        };

        var report = await H.CleanupAsync();
        var pushed = await push!;

        Assert.Multiple(async () =>
        {
            Assert.That(waited, Is.True, "the push waited for the batch");
            Assert.That(pushed.Digest, Is.EqualTo(subject));
            Assert.That(report.DeletedVersions, Is.EqualTo(1), "the cleanup committed first");
            Assert.That(await H.VersionExistsAsync(signature.VersionId), Is.False);
            Assert.That(await H.CountAsync("SELECT count(*) FROM package_version WHERE lower_version = 'v1'"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task A_push_that_holds_the_referrer_first_makes_the_batch_wait_and_its_recheck_spare_the_referrer()
    {
        // The tag v1 has other content; its re-push with the subject is held at the tag's row (by a transaction of the
        // test's) after it has taken its referrer locks. The cleanup's batch then waits for the push, which commits
        // first: the re-check must see that v1's manifest is now the referrer's subject.
        var subject = await SubjectDigestAsync();
        var tag = await H.PushPlatformAsync("demo/app", H.Old, tag: "v1");
        var signature = await H.PushReferrerAsync("demo/app", H.Old, subject);
        await using var holder = new NpgsqlConnection(H.Database.ConnectionString);
        await holder.OpenAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("SELECT id FROM package_version WHERE id = $1 FOR UPDATE", holder, transaction))
        {
            hold.Parameters.AddWithValue(tag.VersionId);
            await hold.ExecuteNonQueryAsync();
        }

        var push = Task.Run(() => PushSubjectAsync("demo/app", "v1"));
        await Wait.UntilAsync(async () => push.IsCompleted || await LockWaitersAsync() == 1);
        var cleanup = Task.Run(() => H.CleanupAsync());
        await Wait.UntilAsync(async () => cleanup.IsCompleted || await LockWaitersAsync() == 2);
        await transaction.CommitAsync();
        var pushed = await push;
        var report = await cleanup;

        Assert.Multiple(async () =>
        {
            Assert.That(pushed.VersionId, Is.EqualTo(tag.VersionId), "v1 has the subject now");
            Assert.That(await H.VersionExistsAsync(signature.VersionId), Is.True);
            Assert.That(report.SparedVersions, Is.EqualTo(1));
            Assert.That(report.DeletedVersions, Is.Zero);
        });
    }

    [Test]
    public async Task A_subject_pushed_before_the_lock_spares_an_orphaned_referrer_tag_and_its_push_waits_for_a_batch_that_holds_one()
    {
        var subject = await SubjectDigestAsync();
        var sig = await H.PushPlatformAsync("demo/app", H.Old, tag: CleanupHarness.ReferrerTag(subject));
        var att = await H.PushPlatformAsync("demo/other", H.Old, tag: CleanupHarness.ReferrerTag(subject, "att"));
        Task<PushedManifest>? late = null;
        var waited = false;
        Store.BeforeLock = async ids =>
        {
            if (ids.Contains(sig.VersionId))
            {
                await PushSubjectAsync("demo/app", "v1");
            }
        };
        Store.AfterLock = async ids =>
        {
            if (ids.Contains(att.VersionId))
            {
                late = Task.Run(() => PushSubjectAsync("demo/other", "v1"));
                await Wait.UntilAsync(async () => late.IsCompleted || await LockWaitersAsync() > 0);
                waited = !late.IsCompleted;
            }
        };

        var report = await H.CleanupAsync(batchSize: 1, removeOrphanedReferrerTags: true);
        await late!;

        Assert.Multiple(async () =>
        {
            Assert.That(await H.VersionExistsAsync(sig.VersionId), Is.True, "its subject came before the lock");
            Assert.That(await H.VersionExistsAsync(att.VersionId), Is.False, "the batch held it first");
            Assert.That(waited, Is.True, "the push waited for the batch holding the referrer tag");
            Assert.That(report.SparedVersions, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task A_referrer_is_deleted_no_later_than_its_subject()
    {
        // The referrer's id is the lower: id order cannot pass for deletion order.
        var subject = await SubjectDigestAsync();
        var signature = await H.PushReferrerAsync("demo/app", H.Old, subject);
        var image = await PushSubjectAsync("demo/app", null);
        await H.ExecuteAsync("UPDATE package_version SET created_unix = $2 WHERE id = $1", image.VersionId, H.Old);

        await H.CleanupAsync(batchSize: 1);

        Assert.That(Store.CommittedBatches.Select(b => b.Single()), Is.EqualTo(new[] { signature.VersionId, image.VersionId }));
    }

    /// <summary>The digest the subject's manifest has, learnt by pushing it to a repository of its own.</summary>
    private async Task<string> SubjectDigestAsync() => (await PushSubjectAsync("demo/scratch", "probe")).Digest;

    private Task<PushedManifest> PushSubjectAsync(string repository, string? tag)
        => H.Images.PushImageAsync(1, repository, tag, "linux/amd64", SubjectConfig, [SubjectLayer], H.Now);

    private Task<long> LockWaitersAsync()
        => H.CountAsync("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
}
