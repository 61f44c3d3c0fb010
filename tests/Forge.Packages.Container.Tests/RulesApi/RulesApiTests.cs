using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Forge.Packages.Container.Tests.RulesApi;

/// <summary>
/// The package rules' API in <c>forge run</c>, over HTTP: what an owner and an administrator may do, and every
/// refusal with its status and the field or rule it names.
/// </summary>
public sealed class RulesApiTests : RulesApiTest
{
    [Test]
    public async Task The_owner_creates_lists_gets_changes_and_deletes_a_rule()
    {
        using var created = await PostAsync(AsAlice, "alice", """{"type": "container", "keep_count": 3, "keep_pattern": "v1\\..*", "remove_days": 7}""");
        var rule = await BodyAsync(created, HttpStatusCode.Created);
        var id = (long)rule["id"]!;
        Assert.Multiple(() =>
        {
            Assert.That(created.Headers.Location?.ToString(), Is.EqualTo($"/api/v1/packages/alice/rules/{id}"));
            Assert.That((string?)rule["owner"], Is.EqualTo("alice"));
            Assert.That((long)rule["owner_id"]!, Is.EqualTo(Alice.Id));
            Assert.That((string?)rule["type"], Is.EqualTo("container"));
            Assert.That((bool)rule["enabled"]!, Is.True, "a new rule is enabled unless the body says otherwise");
            Assert.That((int)rule["keep_count"]!, Is.EqualTo(3));
            Assert.That((string?)rule["keep_pattern"], Is.EqualTo("v1\\..*"));
            Assert.That((int)rule["remove_days"]!, Is.EqualTo(7));
            Assert.That((string?)rule["remove_pattern"], Is.Empty);
            Assert.That((bool)rule["match_full_name"]!, Is.False);
            Assert.That((int)rule["keep_pulled_days"]!, Is.Zero);
            Assert.That((bool)rule["is_default"]!, Is.False);
            Assert.That((string?)rule["created"], Does.Match(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"), "ISO 8601 in UTC");
            Assert.That(DateTimeOffset.Parse((string)rule["updated"]!, System.Globalization.CultureInfo.InvariantCulture),
                Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(5)));
        });

        using (var list = await AsAlice.GetAsync(Rules("alice")))
        {
            var rules = (await BodyAsync(list, HttpStatusCode.OK)).AsArray();
            Assert.That(rules.Select(r => (long)r!["id"]!), Is.EqualTo(new[] { id }));
            Assert.That(rules[0]!.ToJsonString(), Is.EqualTo(rule.ToJsonString()), "the list shows the rule as the creation answered it");
        }

        using (var one = await AsAlice.GetAsync(Rule("alice", id)))
        {
            Assert.That((await BodyAsync(one, HttpStatusCode.OK)).ToJsonString(), Is.EqualTo(rule.ToJsonString()));
        }

        using (var patched = await PatchAsync(AsAlice, "alice", id, """{"keep_count": 10}"""))
        {
            var changed = await BodyAsync(patched, HttpStatusCode.OK);
            Assert.Multiple(() =>
            {
                Assert.That((int)changed["keep_count"]!, Is.EqualTo(10));
                Assert.That((string?)changed["keep_pattern"], Is.EqualTo("v1\\..*"), "a field not given stays");
                Assert.That((int)changed["remove_days"]!, Is.EqualTo(7), "a field not given stays");
                Assert.That((bool)changed["enabled"]!, Is.True, "a field not given stays");
                Assert.That((string?)changed["type"], Is.EqualTo("container"));
            });
        }

        using (var disabled = await PatchAsync(AsAlice, "alice", id,
            """{"enabled": false, "keep_pattern": "", "match_full_name": true, "remove_pattern": "app/.*", "keep_pulled_days": 30}"""))
        {
            var changed = await BodyAsync(disabled, HttpStatusCode.OK);
            Assert.Multiple(() =>
            {
                Assert.That((bool)changed["enabled"]!, Is.False);
                Assert.That((string?)changed["keep_pattern"], Is.Empty, "\"\" unsets a pattern");
                Assert.That((bool)changed["match_full_name"]!, Is.True);
                Assert.That((string?)changed["remove_pattern"], Is.EqualTo("app/.*"));
                Assert.That((int)changed["keep_pulled_days"]!, Is.EqualTo(30));
                Assert.That((int)changed["keep_count"]!, Is.EqualTo(10));
            });
        }

        using (var deleted = await AsAlice.DeleteAsync(Rule("alice", id)))
        {
            Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }

        using var gone = await AsAlice.GetAsync(Rule("alice", id));
        Assert.That((string?)(await BodyAsync(gone, HttpStatusCode.NotFound))["message"], Is.EqualTo($"alice has no rule {id}"));
        Assert.That(await World.World.CountAsync("SELECT count(*) FROM package_cleanup_rule"), Is.Zero);
    }

    [Test]
    public async Task The_admin_token_manages_the_rules_of_any_owner()
    {
        await AddBobAsync();

        var alices = await CreateAsync(AsAdmin, "alice", """{"type": "container", "keep_count": 1}""");
        var bobs = await CreateAsync(AsAdmin, "bob", """{"type": "container", "remove_days": 30}""");
        using var list = await AsAdmin.GetAsync(Rules("bob"));
        using var patched = await PatchAsync(AsAdmin, "alice", alices, """{"keep_pulled_days": 14}""");
        using var preview = await AsAdmin.GetAsync($"{Rule("bob", bobs)}/preview");
        using var deleted = await AsAdmin.DeleteAsync(Rule("bob", bobs));

        Assert.Multiple(async () =>
        {
            Assert.That((await BodyAsync(list, HttpStatusCode.OK)).AsArray().Select(r => ((string?)r!["owner"], (long)r["id"]!)), Is.EqualTo(new[] { ("bob", bobs) }));
            Assert.That((int)(await BodyAsync(patched, HttpStatusCode.OK))["keep_pulled_days"]!, Is.EqualTo(14));
            Assert.That(preview.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(await World.World.CountAsync("SELECT count(*) FROM package_cleanup_rule WHERE owner_id = $1", Alice.Id), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Another_accounts_credentials_are_refused_with_403_and_change_nothing()
    {
        await AddBobAsync();
        var id = await CreateAsync(AsAlice, "alice", """{"type": "container", "keep_count": 1}""");
        using var asBob = World.Client("bob", BobPassword);

        using var list = await asBob.GetAsync(Rules("alice"));
        using var get = await asBob.GetAsync(Rule("alice", id));
        using var post = await PostAsync(asBob, "alice", """{"type": "container"}""");
        using var patch = await PatchAsync(asBob, "alice", id, """{"keep_count": 0}""");
        using var delete = await asBob.DeleteAsync(Rule("alice", id));
        using var preview = await asBob.GetAsync($"{Rule("alice", id)}/preview");

        Assert.Multiple(async () =>
        {
            foreach (var response in new[] { list, get, post, patch, delete, preview })
            {
                Assert.That((string?)(await BodyAsync(response, HttpStatusCode.Forbidden))["message"],
                    Is.EqualTo("account bob may not manage the package rules of alice: only alice may (or an administrator, with the admin token)"));
            }

            Assert.That(await World.World.CountAsync("SELECT count(*) FROM package_cleanup_rule WHERE id = $1 AND keep_count = 1", id), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Without_credentials_the_answer_is_401_with_a_challenge_for_each_way_in()
    {
        using var anonymous = World.Client();

        using var list = await anonymous.GetAsync(Rules("alice"));
        using var post = await PostAsync(anonymous, "alice", """{"type": "container"}""");
        using var unknownOwner = await anonymous.GetAsync(Rules("nobody"));

        Assert.Multiple(async () =>
        {
            foreach (var response in new[] { list, post, unknownOwner })
            {
                Assert.That((string?)(await BodyAsync(response, HttpStatusCode.Unauthorized))["message"], Does.Contain("owner's name and password"));
                Assert.That(string.Join(" ", response.Headers.WwwAuthenticate.Select(c => c.Scheme)), Is.EqualTo("Basic token"));
                Assert.That(response.Headers.WwwAuthenticate.Single(c => c.Scheme == "Basic").Parameter, Does.Contain("realm=\"Forge\""));
            }

            Assert.That(await World.World.CountAsync("SELECT count(*) FROM package_cleanup_rule"), Is.Zero);
        });
    }

    [TestCase("Basic", "alice:wrong-password", "invalid name or password")]
    [TestCase("Basic", "nobody:alice-secret-5f0e2c", "invalid name or password")]
    [TestCase("Basic", "alice", "invalid name or password")]
    [TestCase("token", "not-the-admin-token", "the token is not the admin token")]
    [TestCase("Bearer", "abc", "only HTTP Basic credentials or 'Authorization: token <admin token>' are accepted")]
    public async Task Wrong_credentials_are_refused_with_401(string scheme, string value, string message)
    {
        using var client = World.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            scheme, scheme == "Basic" ? Convert.ToBase64String(Encoding.UTF8.GetBytes(value)) : value);

        using var response = await client.GetAsync(Rules("alice"));

        Assert.Multiple(async () =>
        {
            Assert.That((string?)(await BodyAsync(response, HttpStatusCode.Unauthorized))["message"], Is.EqualTo(message));
            Assert.That(response.Headers.WwwAuthenticate, Is.Not.Empty);
        });
    }

    [Test]
    public async Task An_unknown_owner_is_404()
    {
        using var asAdmin = await AsAdmin.GetAsync(Rules("nobody"));
        using var asAlice = await PostAsync(AsAlice, "nobody", """{"type": "container"}""");

        Assert.Multiple(async () =>
        {
            Assert.That((string?)(await BodyAsync(asAdmin, HttpStatusCode.NotFound))["message"], Is.EqualTo("there is no account named 'nobody'"));
            Assert.That((string?)(await BodyAsync(asAlice, HttpStatusCode.NotFound))["message"], Is.EqualTo("there is no account named 'nobody'"));
        });
    }

    [Test]
    public async Task A_rule_of_another_owner_is_404_under_this_owner_even_for_the_admin()
    {
        var bob = await AddBobAsync();
        var bobs = await CreateAsync(AsAdmin, "bob", """{"type": "container", "keep_count": 2}""");

        using var get = await AsAlice.GetAsync(Rule("alice", bobs));
        using var patch = await PatchAsync(AsAlice, "alice", bobs, """{"keep_count": 0}""");
        using var delete = await AsAlice.DeleteAsync(Rule("alice", bobs));
        using var preview = await AsAlice.GetAsync($"{Rule("alice", bobs)}/preview");
        using var admin = await AsAdmin.DeleteAsync(Rule("alice", bobs));
        using var unknown = await AsAlice.GetAsync(Rule("alice", 999_999));
        using var notAnId = await AsAlice.GetAsync($"{Rules("alice")}/first");

        Assert.Multiple(async () =>
        {
            foreach (var response in new[] { get, patch, delete, preview, admin })
            {
                Assert.That((string?)(await BodyAsync(response, HttpStatusCode.NotFound))["message"], Is.EqualTo($"alice has no rule {bobs}"));
            }

            Assert.That((string?)(await BodyAsync(unknown, HttpStatusCode.NotFound))["message"], Is.EqualTo("alice has no rule 999999"));
            Assert.That(notAnId.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(await World.World.CountAsync("SELECT count(*) FROM package_cleanup_rule WHERE owner_id = $1 AND keep_count = 2", bob.Id), Is.EqualTo(1));
        });
    }

    private static IEnumerable<TestCaseData> BadBodies()
    {
        static TestCaseData Case(string body, string field, string message) => new TestCaseData(body, field, message).SetArgDisplayNames(body);

        yield return Case("""{"type": "container", "keep_pattern": "v(1"}""", "keep_pattern", "not a regular expression");
        yield return Case("""{"type": "container", "remove_pattern": "("}""", "remove_pattern", "not a regular expression");
        yield return Case("""{"type": "container", "keep_count": -1}""", "keep_count", "keep_count: -1 is out of range: use 0 to 1000000");
        yield return Case("""{"type": "container", "remove_days": 36501}""", "remove_days", "remove_days: 36501 is out of range: use 0 to 36500");
        yield return Case("""{"type": "container", "keep_pulled_days": -3}""", "keep_pulled_days", "out of range");
        yield return Case("""{"type": "container", "keep_count": 99999999999}""", "keep_count", "keep_count: 99999999999 is out of range");
        yield return Case("""{"type": "container", "keep_count": 1.5}""", "keep_count", "keep_count: 1.5 is not a whole number");
        yield return Case("""{"type": "container", "keep_count": "10"}""", "keep_count", "keep_count: is a string: it must be a whole number");
        yield return Case("""{"type": "container", "enabled": "yes"}""", "enabled", "enabled: is a string: it must be true or false");
        yield return Case("""{"type": "container", "keep_pattern": null}""", "keep_pattern", "keep_pattern: is a null: it must be a string");
        yield return Case("""{"type": "npm", "keep_count": 1}""", "type", "type: 'npm' is not a package type this forge applies rules to (it serves: container)");
        yield return Case("""{"keep_count": 1}""", "type", "type: a package type is required");
        yield return Case("""{"type": 7}""", "type", "type: is a number: it must be a string");
        yield return Case("""{"type": "container", "keep": 5}""", "keep", "keep: is not a field of a rule (the fields: type, enabled, keep_count,");
        yield return Case("""{"type": "container", "id": 5}""", "id", "id: is set by the forge, not by a request: leave it out");
        yield return Case("""{"type": "container", "keep_count": 1, "keep_count": 2}""", "keep_count", "keep_count: given twice");
    }

    [TestCaseSource(nameof(BadBodies))]
    public async Task A_bad_field_is_400_naming_the_field_and_nothing_is_written(string body, string field, string message)
    {
        using var response = await PostAsync(AsAlice, "alice", body);

        var error = await BodyAsync(response, HttpStatusCode.BadRequest);
        Assert.Multiple(async () =>
        {
            Assert.That((string?)error["field"], Is.EqualTo(field));
            Assert.That((string?)error["message"], Does.Contain(message));
            Assert.That(await World.World.CountAsync("SELECT count(*) FROM package_cleanup_rule"), Is.Zero);
        });
    }

    [Test]
    public async Task A_patch_to_a_type_the_owner_has_a_rule_of_is_409_naming_that_rule()
    {
        var container = await CreateAsync(AsAlice, "alice", """{"type": "container", "keep_count": 5}""");
        await World.World.ExecuteAsync("INSERT INTO package_cleanup_rule (owner_id, type, enabled, keep_count, keep_pattern, remove_days, remove_pattern, match_full_name, keep_pulled_days, created_unix, updated_unix) VALUES ($1, 'npm', true, 1, '', 0, '', false, 0, 0, 0)", Alice.Id);
        var npm = await World.World.ScalarAsync<long>("SELECT id FROM package_cleanup_rule WHERE type = 'npm'");

        using var response = await PatchAsync(AsAlice, "alice", npm, """{"type": "container"}""");

        Assert.Multiple(async () =>
        {
            Assert.That((long)(await BodyAsync(response, HttpStatusCode.Conflict))["rule_id"]!, Is.EqualTo(container));
            Assert.That(await World.World.CountAsync("SELECT count(*) FROM package_cleanup_rule WHERE type = 'npm'"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task A_bad_field_in_a_patch_is_400_and_the_rule_stays_as_it_was()
    {
        var id = await CreateAsync(AsAlice, "alice", """{"type": "container", "keep_count": 4, "keep_pattern": "^v"}""");

        using var pattern = await PatchAsync(AsAlice, "alice", id, """{"keep_count": 9, "keep_pattern": "[z-a]"}""");
        using var type = await PatchAsync(AsAlice, "alice", id, """{"type": "npm"}""");

        Assert.Multiple(async () =>
        {
            Assert.That((string?)(await BodyAsync(pattern, HttpStatusCode.BadRequest))["field"], Is.EqualTo("keep_pattern"));
            Assert.That((string?)(await BodyAsync(type, HttpStatusCode.BadRequest))["field"], Is.EqualTo("type"));
            Assert.That(await World.World.CountAsync("SELECT count(*) FROM package_cleanup_rule WHERE keep_count = 4 AND keep_pattern = '^v' AND type = 'container'"), Is.EqualTo(1));
        });
    }

    [TestCase("{\"type\": \"container\",", TestName = "Malformed JSON is 400 (cut short)")]
    [TestCase("type=container", TestName = "Malformed JSON is 400 (a form)")]
    [TestCase("", TestName = "Malformed JSON is 400 (no body)")]
    [TestCase("[{\"type\": \"container\"}]", TestName = "Malformed JSON is 400 (an array)")]
    public async Task Malformed_JSON_is_400(string body)
    {
        using var response = await PostAsync(AsAlice, "alice", body);

        var error = await BodyAsync(response, HttpStatusCode.BadRequest);
        Assert.Multiple(async () =>
        {
            Assert.That((string?)error["message"], Does.StartWith("the body "));
            Assert.That(error["field"], Is.Null);
            Assert.That(await World.World.CountAsync("SELECT count(*) FROM package_cleanup_rule"), Is.Zero);
        });
    }

    [Test]
    public async Task A_body_over_64_KiB_is_413_whether_its_length_is_announced_or_not()
    {
        var padding = new string(' ', 64 * 1024);
        var body = $$"""{"type": "container",{{padding}}"keep_count": 1}""";

        using var announced = await PostAsync(AsAlice, "alice", body);
        using var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, Rules("alice")) { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using var streamed = await AsAlice.SendAsync(request);
        using var justUnder = await PostAsync(AsAlice, "alice", $$"""{"type": "container",{{padding[..(60 * 1024)]}}"keep_count": 1}""");

        Assert.Multiple(async () =>
        {
            Assert.That((string?)(await BodyAsync(announced, HttpStatusCode.RequestEntityTooLarge))["message"], Does.Contain("larger than 64 KiB"));
            Assert.That((string?)(await BodyAsync(streamed, HttpStatusCode.RequestEntityTooLarge))["message"], Does.Contain("larger than 64 KiB"));
            Assert.That(justUnder.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        });
    }

    [Test]
    public async Task A_second_rule_of_a_type_is_409_naming_the_existing_rule()
    {
        var first = await CreateAsync(AsAlice, "alice", """{"type": "container", "keep_count": 5}""");

        using var second = await PostAsync(AsAlice, "alice", """{"type": "container", "remove_days": 3}""");

        var error = await BodyAsync(second, HttpStatusCode.Conflict);
        Assert.Multiple(async () =>
        {
            Assert.That((long)error["rule_id"]!, Is.EqualTo(first));
            Assert.That((string?)error["message"], Is.EqualTo($"the owner already has a container rule (id {first}): one rule per owner and type; change that one"));
            Assert.That(await World.World.CountAsync("SELECT count(*) FROM package_cleanup_rule"), Is.EqualTo(1));
            Assert.That(World.Logs, Does.Not.Contain("duplicate key"), "a refusal, not a database error in the log");
        });
    }

    [Test]
    public async Task The_preview_lists_each_version_with_its_decision_and_removes_nothing()
    {
        var bob = await AddBobAsync();
        foreach (var (tag, daysAgo) in new[] { ("v1", 40), ("v2", 30), ("v3", 20), ("latest", 20) })
        {
            await PushAsync(Alice, "app", tag, daysAgo);
        }

        await PushAsync(bob, "app", "v1", 40);
        var id = await CreateAsync(AsAlice, "alice", """{"type": "container", "keep_count": 1, "remove_days": 7, "enabled": false}""");
        var before = await World.World.SnapshotAsync();

        using var response = await AsAlice.GetAsync($"{Rule("alice", id)}/preview");

        var report = await BodyAsync(response, HttpStatusCode.OK);
        var rule = report["rules"]!.AsArray().Single()!;
        Assert.Multiple(async () =>
        {
            Assert.That((bool)report["dryRun"]!, Is.True);
            Assert.That((long)rule["ruleId"]!, Is.EqualTo(id));
            Assert.That((string?)rule["owner"], Is.EqualTo("alice"));
            Assert.That(Decisions(report), Is.EqualTo("app:latest latest; app:v1 removed; app:v2 removed; app:v3 keep_count"),
                "a disabled rule is previewed too; bob's image is not alice's rule's");
            Assert.That((long)report["versionsRemoved"]!, Is.EqualTo(2));
            Assert.That(await World.World.SnapshotAsync(), Is.EqualTo(before), "a preview removes nothing");
        });
    }

    [Test]
    public async Task No_answer_and_no_log_line_holds_a_password_or_the_admin_token()
    {
        await AddBobAsync();
        var id = await CreateAsync(AsAlice, "alice", """{"type": "container", "keep_count": 1}""");
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"alice:{AlicePassword}"));
        var answers = new StringBuilder();

        async Task CallAsync(string scheme, string value, HttpMethod method, string path, string? body = null)
        {
            using var client = World.Client();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(scheme, value);
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : Json(body) };
            using var response = await client.SendAsync(request);
            answers.AppendLine(response.ToString()).AppendLine(await response.Content.ReadAsStringAsync());
        }

        static string Basic(string pair) => Convert.ToBase64String(Encoding.UTF8.GetBytes(pair));

        await CallAsync("Basic", basic, HttpMethod.Get, Rules("alice"));
        await CallAsync("Basic", basic, HttpMethod.Post, Rules("alice"), """{"type": "container", "keep_pattern": "("}""");
        await CallAsync("Basic", Basic($"alice:{AlicePassword}x"), HttpMethod.Get, Rules("alice"));
        await CallAsync("Basic", Basic($"{AlicePassword}:{AlicePassword}"), HttpMethod.Get, Rules("alice"));
        await CallAsync("Basic", Basic(AlicePassword), HttpMethod.Patch, Rule("alice", id), """{"keep_count": 2}""");
        await CallAsync("Basic", Basic($"bob:{BobPassword}"), HttpMethod.Delete, Rule("alice", id));
        await CallAsync("token", AdminToken, HttpMethod.Get, $"{Rule("alice", id)}/preview");
        await CallAsync("token", AdminToken + "x", HttpMethod.Get, Rules("alice"));
        await CallAsync("token", AdminToken, HttpMethod.Get, Rules("nobody"));
        await CallAsync("Bearer", AdminToken, HttpMethod.Get, Rules("alice"));

        var logs = World.Logs;
        Assert.Multiple(() =>
        {
            Assert.That(answers.ToString(), Does.Contain("401").And.Contain("403").And.Contain("404"), "the calls were refused in every way");
            foreach (var secret in new[] { AlicePassword, BobPassword, AdminToken, basic })
            {
                Assert.That(answers.ToString(), Does.Not.Contain(secret), "an answer");
                Assert.That(logs, Does.Not.Contain(secret), "the log");
            }
        });
    }
}
