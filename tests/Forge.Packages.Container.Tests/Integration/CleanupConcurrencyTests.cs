using Forge.Packages.Container.Cleanup;
using Forge.Packages.Container.Data;
using Forge.Packages.Container.Registry;
using Microsoft.Extensions.DependencyInjection;
using Forge.Testing;
using Npgsql;

namespace Forge.Packages.Container.Tests.Integration;

/// <summary>
/// Races and crashes at the exact moments they hurt: an index committed while the cleanup runs (rule 8),
/// the run's connection killed between batches (rule 6), referrers first (rule 7), one run at a time (rule 9).
/// </summary>
public sealed class CleanupConcurrencyTests : HookedCleanupFixture
{
    [Test]
    public async Task An_index_committed_after_the_inventory_and_before_the_batch_lock_spares_its_children()
    {
        var child = await H.PushPlatformAsync("demo/app", H.Old);
        PushedManifest? index = null;
        Store.BeforeLock = async _ => index ??= await H.PushIndexAsync("demo/app", "v1", H.Now, child);

        var report = await H.CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(index, Is.Not.Null);
            Assert.That(await H.VersionExistsAsync(child.VersionId), Is.True);
            Assert.That(report.SparedVersions, Is.EqualTo(1));
            Assert.That(report.Candidates.Single().Decision, Is.EqualTo(DanglingImageDecision.Spared));
            Assert.That(report.DeletedVersions, Is.Zero);
            Assert.That(await H.BrokenReferencesAsync(), Is.Empty);
        });
    }

    [Test]
    public async Task An_index_pushed_by_a_tool_that_writes_only_reference_properties_also_spares()
    {
        var child = await H.PushPlatformAsync("demo/app", H.Old);
        var package = await H.PackageIdOfAsync(child.VersionId);
        Store.BeforeLock = async _ =>
        {
            var index = await H.VersionAsync(package, "v9", H.Now, "{\"type\":\"oci\"}");
            await H.PropertyAsync(0, index, ContainerLayout.ReferenceProperty, child.Digest.ToUpperInvariant());
            Store.BeforeLock = null;
        };

        var report = await H.CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await H.VersionExistsAsync(child.VersionId), Is.True);
            Assert.That(report.SparedVersions, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task A_tag_rewritten_in_place_after_the_inventory_to_list_a_candidate_spares_it()
    {
        // The re-check reads again only versions whose row changed since the inventory: an UPDATE must count.
        var child = await H.PushPlatformAsync("demo/app", H.Old);
        var other = await H.PushPlatformAsync("demo/app", H.Old, "linux/arm64");
        var tag = await H.PushIndexAsync("demo/app", "v1", H.Old, other);
        Store.BeforeLock = async _ =>
        {
            await H.ExecuteAsync(
                "UPDATE package_version SET metadata_json = $1 WHERE id = $2",
                $$"""{"type":"oci","is_tagged":true,"manifests":[{"digest":"{{other.Digest}}"},{"digest":"{{child.Digest}}"}]}""", tag.VersionId);
            Store.BeforeLock = null;
        };

        var report = await H.CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await H.VersionExistsAsync(child.VersionId), Is.True);
            Assert.That(report.SparedVersions, Is.EqualTo(1));
            Assert.That(report.DeletedVersions, Is.Zero);
            Assert.That(await H.BrokenReferencesAsync(), Is.Empty);
        });
    }

    [TestCase("", "", false, TestName = "A_reference_property_added_after_the_inventory_to_an_unchanged_tag_spares")]
    [TestCase("", "", true, TestName = "A_reference_property_in_upper_case_added_to_an_unchanged_tag_spares")]
    [TestCase(" \n", "\t", false, TestName = "A_reference_property_padded_with_white_space_added_to_an_unchanged_tag_spares")]
    [TestCase("\u00a0", "\u2003", true, TestName = "A_reference_property_padded_with_unicode_spaces_added_to_an_unchanged_tag_spares")]
    public async Task A_reference_property_added_after_the_inventory_to_an_unchanged_tag_spares(string before, string after, bool upperCase)
    {
        // Adding a property leaves the version's row as it was: the re-check must read properties anyway, and its
        // reading of them in the database must let through every spelling the cleanup's own reading accepts.
        var child = await H.PushPlatformAsync("demo/app", H.Old);
        var other = await H.PushPlatformAsync("demo/app", H.Old, "linux/arm64");
        var tag = await H.PushIndexAsync("demo/app", "v1", H.Old, other);
        var value = System.Text.RegularExpressions.Regex.Unescape(before) + (upperCase ? child.Digest.ToUpperInvariant() : child.Digest) +
                    System.Text.RegularExpressions.Regex.Unescape(after);
        Store.BeforeLock = async _ =>
        {
            await H.PropertyAsync(0, tag.VersionId, ContainerLayout.ReferenceProperty, value);
            Store.BeforeLock = null;
        };

        var report = await H.CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await H.VersionExistsAsync(child.VersionId), Is.True);
            Assert.That(report.SparedVersions, Is.EqualTo(1));
            Assert.That(await H.BrokenReferencesAsync(), Is.Empty);
        });
    }

    [TestCase("\n", TestName = "A_reference_property_padded_with_a_newline_by_another_tool_spares")]
    [TestCase("\t ", TestName = "A_reference_property_padded_with_a_tab_by_another_tool_spares")]
    public async Task A_padded_reference_property_written_after_the_inventory_spares(string padding)
    {
        var child = await H.PushPlatformAsync("demo/app", H.Old);
        var package = await H.PackageIdOfAsync(child.VersionId);
        Store.BeforeLock = async _ =>
        {
            var index = await H.VersionAsync(package, "v9", H.Now, "{}");
            await H.PropertyAsync(0, index, ContainerLayout.ReferenceProperty, child.Digest + padding);
            Store.BeforeLock = null;
        };

        var report = await H.CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await H.VersionExistsAsync(child.VersionId), Is.True);
            Assert.That(report.SparedVersions, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task A_referrer_whose_metadata_escapes_the_digest_in_json_spares()
    {
        var child = await H.PushPlatformAsync("demo/app", H.Old);
        var package = await H.PackageIdOfAsync(child.VersionId);
        var hex = child.Digest["sha256:".Length..];
        var escaped = $"sha256:\\u{(int)hex[0]:x4}{hex[1..]}";
        Store.BeforeLock = async _ =>
        {
            await H.VersionAsync(package, "v9", H.Now, $"{{\"manifests\":[{{\"digest\":\"{escaped}\"}}]}}");
            Store.BeforeLock = null;
        };

        var report = await H.CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await H.VersionExistsAsync(child.VersionId), Is.True);
            Assert.That(report.SparedVersions, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Sparing_a_nested_index_spares_the_entries_it_references_in_later_batches()
    {
        var platform = await H.PushPlatformAsync("demo/app", H.Old);
        var inner = await H.PushIndexAsync("demo/app", null, H.Old, platform);
        Store.BeforeLock = async ids =>
        {
            if (ids.Contains(inner.VersionId))
            {
                await H.PushIndexAsync("demo/app", "v1", H.Now, inner);
                Store.BeforeLock = null;
            }
        };

        var report = await H.CleanupAsync(batchSize: 1);

        Assert.Multiple(async () =>
        {
            Assert.That(await H.VersionExistsAsync(inner.VersionId), Is.True);
            Assert.That(await H.VersionExistsAsync(platform.VersionId), Is.True);
            Assert.That(report.SparedVersions, Is.EqualTo(2));
            Assert.That(await H.BrokenReferencesAsync(), Is.Empty);
        });
    }

    [Test]
    public async Task A_digest_pushed_again_after_the_inventory_is_young_again_and_is_spared()
    {
        var child = await H.PushPlatformAsync("demo/app", H.Old);
        var index = await H.PushIndexAsync("demo/app", null, H.Old, child);
        Store.BeforeLock = async _ =>
        {
            // What a re-push of the same manifest does to its row (a sync that starts over).
            await H.ExecuteAsync("UPDATE package_version SET created_unix = $2 WHERE id = $1", index.VersionId, H.Now);
            Store.BeforeLock = null;
        };

        var report = await H.CleanupAsync(batchSize: 1);

        Assert.Multiple(async () =>
        {
            Assert.That(await H.VersionExistsAsync(index.VersionId), Is.True);
            Assert.That(await H.VersionExistsAsync(child.VersionId), Is.True, "a young index keeps its children");
            Assert.That(report.SparedVersions, Is.EqualTo(2));
            Assert.That(await H.BrokenReferencesAsync(), Is.Empty);
        });
    }

    [Test]
    public async Task An_index_push_that_races_the_locked_batch_fails_with_manifest_blob_unknown_and_publishes_nothing()
    {
        var child = await H.PushPlatformAsync("demo/app", H.Old);
        Task<PushedManifest>? push = null;
        Store.AfterLock = async _ =>
        {
            // The batch holds its rows; the push must now wait for it, whatever it does next.
            push = Task.Run(() => H.PushIndexAsync("demo/app", "v1", H.Now, child));
            await Wait.UntilAsync(async () => await H.CountAsync(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") > 0);
        };

        var report = await H.CleanupAsync();

        Assert.That(push, Is.Not.Null);
        var failure = Assert.ThrowsAsync<RegistryFailureException>(async () => await push!);
        Assert.Multiple(async () =>
        {
            Assert.That(failure!.Failure, Is.EqualTo(RegistryFailure.ManifestBlobUnknown));
            Assert.That(failure.MissingDigest, Is.EqualTo(child.Digest));
            Assert.That(report.DeletedVersions, Is.EqualTo(1));
            Assert.That(await H.CountAsync("SELECT count(*) FROM package_version WHERE lower_version = 'v1'"), Is.Zero);
            Assert.That(await H.BrokenReferencesAsync(), Is.Empty);
        });
    }

    [Test]
    public async Task An_index_naming_a_tags_manifest_that_the_tag_lost_while_it_waited_fails_with_manifest_blob_unknown()
    {
        var amd64 = await H.PushPlatformAsync("demo/app", H.Now, tag: "amd64");
        await using var repush = new NpgsqlConnection(H.Database.ConnectionString);
        await repush.OpenAsync();
        await using var transaction = await repush.BeginTransactionAsync();
        // What a re-push of the tag holds, and then does, when no index names its manifest yet.
        await Execute("SELECT id FROM package_version WHERE id = $1 FOR UPDATE", amd64.VersionId);
        var push = Task.Run(() => H.PushIndexAsync("demo/app", "latest", H.Now, amd64));
        await Wait.UntilAsync(async () => await H.CountAsync(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") > 0);
        await Execute("""
            WITH f AS (DELETE FROM package_file WHERE version_id = $1 RETURNING id),
            fp AS (DELETE FROM package_property WHERE ref_type = 1 AND ref_id IN (SELECT id FROM f) RETURNING 1)
            UPDATE package_version SET metadata_json = '{}', created_unix = created_unix + 1 WHERE id = $1
            """, amd64.VersionId);
        await transaction.CommitAsync();

        var failure = Assert.ThrowsAsync<RegistryFailureException>(async () => await push);

        Assert.That(failure!.Failure, Is.EqualTo(RegistryFailure.ManifestBlobUnknown));
        Assert.That(failure.MissingDigest, Is.EqualTo(amd64.Digest));
        Assert.That(await H.CountAsync("SELECT count(*) FROM package_version WHERE lower_version = 'latest'"), Is.Zero);

        async Task Execute(string sql, long id)
        {
            await using var command = new NpgsqlCommand(sql, repush, transaction);
            command.Parameters.AddWithValue(id);
            await command.ExecuteNonQueryAsync();
        }
    }

    [Test]
    public async Task An_index_push_chosen_as_a_deadlocks_victim_is_done_again_and_lands()
    {
        var amd64 = await H.PushPlatformAsync("demo/app", H.Now);
        var first = await H.PushIndexAsync("demo/app", "latest", H.Now, amd64);
        await using var other = new NpgsqlConnection(H.Database.ConnectionString);
        await other.OpenAsync();
        await using var transaction = await other.BeginTransactionAsync();
        // This side never gives up first: the push, which waits first, finds the cycle after 1 s and is ended.
        await Execute("SET LOCAL deadlock_timeout = '60s'");
        await Execute("SELECT id FROM package_version WHERE id = $1 FOR UPDATE", first.VersionId);
        var push = Task.Run(() => H.PushIndexAsync("demo/app", "latest", H.Now, amd64));
        await Wait.UntilAsync(async () => await H.CountAsync(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") > 0);

        // What a cleanup batch deleting the child does: a lock that the push's FOR KEY SHARE on the child holds off.
        await Execute("SELECT id FROM package_version WHERE id = $1 FOR UPDATE", amd64.VersionId);
        await transaction.RollbackAsync();

        var pushed = await push;
        Assert.That(pushed.VersionId, Is.EqualTo(first.VersionId), "the tag's row, with the new index");
        Assert.That(await H.CountAsync(
            "SELECT count(*) FROM package_property WHERE ref_type = 0 AND ref_id = $1 AND name = 'container.manifest.reference'", pushed.VersionId), Is.EqualTo(1));

        async Task Execute(string sql, long? id = null)
        {
            await using var command = new NpgsqlCommand(sql, other, transaction);
            if (id is { } value)
            {
                command.Parameters.AddWithValue(value);
            }

            await command.ExecuteNonQueryAsync();
        }
    }

    [Test]
    public async Task A_batch_that_the_database_ends_as_a_deadlocks_victim_is_done_again_and_deletes()
    {
        var orphan = await H.PushPlatformAsync("demo/app", H.Old);
        await using var other = new NpgsqlConnection(H.Database.ConnectionString);
        await other.OpenAsync();
        await using var transaction = await other.BeginTransactionAsync();
        Task? writer = null;
        var attempts = 0;
        Store.BeforeLock = async _ =>
        {
            if (++attempts > 1)
            {
                return;
            }

            // A writer that holds the version's files, and then wants the version, which the batch deletes before it
            // comes to the files: a cycle that the batch, waiting first and with the shorter deadlock_timeout, finds
            // and is ended for.
            await Execute("SET LOCAL deadlock_timeout = '60s'");
            await Execute("SELECT id FROM package_file WHERE version_id = $1 FOR UPDATE", orphan.VersionId);
            writer = Task.Run(async () =>
            {
                await Wait.UntilAsync(async () => await H.CountAsync(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") > 0);
                await Execute("SELECT id FROM package_version WHERE id = $1 FOR UPDATE", orphan.VersionId);
                await transaction.RollbackAsync();
            });
        };

        var report = await H.CleanupAsync();
        await writer!;

        Assert.Multiple(() =>
        {
            Assert.That(attempts, Is.EqualTo(2), "the batch is done again");
            Assert.That(report.DeletedVersions, Is.EqualTo(1));
            Assert.That(Store.CommittedBatches, Has.Count.EqualTo(1));
        });

        async Task Execute(string sql, long? id = null)
        {
            await using var command = new NpgsqlCommand(sql, other, transaction);
            if (id is { } value)
            {
                command.Parameters.AddWithValue(value);
            }

            await command.ExecuteNonQueryAsync();
        }
    }

    [Test]
    public async Task Referrers_are_deleted_before_what_they_reference_and_no_index_is_ever_left_broken_between_batches()
    {
        var platform = await H.PushPlatformAsync("demo/app", H.Old);
        var inner = await H.PushIndexAsync("demo/app", null, H.Old, platform);
        var outer = await H.PushIndexAsync("demo/app", null, H.Old, inner);
        var brokenBetweenBatches = new List<string>();
        Store.AfterCommit = async _ => brokenBetweenBatches.AddRange(await H.BrokenReferencesAsync());

        await H.CleanupAsync(batchSize: 1);

        Assert.Multiple(() =>
        {
            Assert.That(Store.CommittedBatches.Select(b => b.Single()), Is.EqualTo(new[] { outer.VersionId, inner.VersionId, platform.VersionId }));
            Assert.That(brokenBetweenBatches, Is.Empty);
        });
    }

    [Test]
    public async Task A_connection_killed_between_batches_leaves_every_version_whole_or_gone_and_the_next_run_finishes()
    {
        var orphans = new List<PushedManifest>();
        for (var i = 0; i < 4; i++)
        {
            orphans.Add(await H.PushPlatformAsync("demo/app", H.Old));
        }

        Store.AfterCommit = async batches =>
        {
            if (batches == 1)
            {
                await H.ExecuteAsync("""
                    SELECT pg_terminate_backend(pid) FROM pg_locks
                    WHERE locktype = 'advisory' AND granted AND ((classid::bigint << 32) | objid::bigint) = $1
                    """, NpgsqlDanglingImageStore.RunLockKey);
            }
        };

        Assert.That(async () => await H.CleanupAsync(batchSize: 2), Throws.InstanceOf<NpgsqlException>());
        Store.AfterCommit = null;
        var remaining = orphans.Where(o => H.VersionExistsAsync(o.VersionId).Result).ToList();
        var wholeFiles = remaining.Count * 3;
        Assert.Multiple(async () =>
        {
            Assert.That(remaining, Has.Count.EqualTo(2), "the first batch committed, the second never started");
            Assert.That(await H.CountAsync("SELECT count(*) FROM package_file WHERE version_id = ANY($1)", remaining.Select(r => r.VersionId).ToArray()), Is.EqualTo(wholeFiles));
            Assert.That(await H.BrokenReferencesAsync(), Is.Empty);
        });

        var next = await H.CleanupAsync(batchSize: 2);
        Assert.Multiple(() =>
        {
            Assert.That(next.DeletedVersions, Is.EqualTo(2));
            Assert.That(orphans.Any(o => H.VersionExistsAsync(o.VersionId).Result), Is.False);
        });
    }

    [Test]
    public async Task A_run_that_starts_while_another_holds_the_lock_is_skipped_and_does_nothing()
    {
        var orphan = await H.PushPlatformAsync("demo/app", H.Old);
        await using (var running = await H.App.Services.GetRequiredService<IDanglingImageStore>().TryStartRunAsync(false, CancellationToken.None))
        {
            Assert.That(running, Is.Not.Null);
            var skipped = await H.CleanupAsync();
            Assert.Multiple(async () =>
            {
                Assert.That(skipped.Skipped, Is.True);
                Assert.That(await H.VersionExistsAsync(orphan.VersionId), Is.True);
            });
        }

        var after = await H.CleanupAsync();
        Assert.That(after.DeletedVersions, Is.EqualTo(1), "the lock is released with the run that held it");
    }

    [Test]
    public async Task Two_runs_started_at_once_are_one_run_and_one_skip()
    {
        for (var i = 0; i < 3; i++)
        {
            await H.PushPlatformAsync("demo/app", H.Old);
        }

        var gate = new TaskCompletionSource();
        Store.BeforeLock = async _ => await gate.Task;
        var first = H.CleanupAsync();
        await Wait.UntilAsync(async () => await H.CountAsync(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND ((classid::bigint << 32) | objid::bigint) = $1",
            NpgsqlDanglingImageStore.RunLockKey) == 1);
        var second = await H.CleanupAsync();
        gate.SetResult();
        var done = await first;

        Assert.Multiple(() =>
        {
            Assert.That(second.Skipped, Is.True);
            Assert.That(done.Skipped, Is.False);
            Assert.That(done.DeletedVersions, Is.EqualTo(3));
        });
    }
}
