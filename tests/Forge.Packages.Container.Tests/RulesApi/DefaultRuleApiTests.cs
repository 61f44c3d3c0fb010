using System.Net;

namespace Forge.Packages.Container.Tests.RulesApi;

/// <summary>The configuration's default rule in the API: listed, got and previewed (id 0) for an owner without a rule of its type, never changed.</summary>
public sealed class DefaultRuleApiTests : RulesApiTest
{
    protected override (string Key, string? Value)[] Settings =>
    [
        ("Forge:Packages:DefaultCleanupRule:Enabled", "true"),
        ("Forge:Packages:DefaultCleanupRule:KeepCount", "1"),
        ("Forge:Packages:DefaultCleanupRule:RemoveDays", "7"),
    ];

    [Test]
    public async Task An_owner_without_a_rule_of_its_type_is_shown_the_default_rule_until_it_has_one()
    {
        using var before = await AsAlice.GetAsync(Rules("alice"));
        var listed = (await BodyAsync(before, HttpStatusCode.OK)).AsArray().Single()!;
        using var one = await AsAlice.GetAsync(Rule("alice", 0));
        var got = await BodyAsync(one, HttpStatusCode.OK);
        Assert.Multiple(() =>
        {
            Assert.That((long)listed["id"]!, Is.Zero);
            Assert.That((bool)listed["is_default"]!, Is.True);
            Assert.That((string?)listed["owner"], Is.EqualTo("alice"));
            Assert.That((long)listed["owner_id"]!, Is.EqualTo(Alice.Id));
            Assert.That((string?)listed["type"], Is.EqualTo("container"));
            Assert.That((int)listed["keep_count"]!, Is.EqualTo(1));
            Assert.That((int)listed["remove_days"]!, Is.EqualTo(7));
            Assert.That(listed["created"], Is.Null, "the configuration's rule was never created");
            Assert.That(got.ToJsonString(), Is.EqualTo(listed.ToJsonString()));
        });

        var own = await CreateAsync(AsAlice, "alice", """{"type": "container", "keep_count": 5}""");

        using var after = await AsAlice.GetAsync(Rules("alice"));
        using var gone = await AsAlice.GetAsync(Rule("alice", 0));
        Assert.Multiple(async () =>
        {
            Assert.That((await BodyAsync(after, HttpStatusCode.OK)).AsArray().Select(r => ((long)r!["id"]!, (bool)r["is_default"]!)), Is.EqualTo(new[] { (own, false) }));
            Assert.That((string?)(await BodyAsync(gone, HttpStatusCode.NotFound))["message"], Is.EqualTo("the default rule does not stand in for alice: it has a container rule of its own"));
        });
    }

    [Test]
    public async Task The_default_rule_cannot_be_changed_or_deleted_through_the_API()
    {
        using var patch = await PatchAsync(AsAdmin, "alice", 0, """{"keep_count": 3}""");
        using var delete = await AsAdmin.DeleteAsync(Rule("alice", 0));

        Assert.Multiple(async () =>
        {
            foreach (var response in new[] { patch, delete })
            {
                Assert.That((string?)(await BodyAsync(response, HttpStatusCode.MethodNotAllowed))["message"], Does.Contain("POST a container rule of its own"));
                Assert.That(string.Join(",", response.Content.Headers.Allow), Is.EqualTo("GET"));
            }
        });
    }

    [Test]
    public async Task The_default_rules_preview_for_an_owner_shows_that_owners_versions_alone()
    {
        var bob = await AddBobAsync();
        await PushAsync(Alice, "app", "v1", 30);
        await PushAsync(Alice, "app", "v2", 20);
        await PushAsync(bob, "tool", "v1", 30);
        await PushAsync(bob, "tool", "v2", 20);

        using var response = await AsAlice.GetAsync($"{Rule("alice", 0)}/preview");

        var report = await BodyAsync(response, HttpStatusCode.OK);
        var rule = report["rules"]!.AsArray().Single()!;
        Assert.Multiple(() =>
        {
            Assert.That((bool)rule["isDefault"]!, Is.True);
            Assert.That((string?)rule["owner"], Is.EqualTo("alice"));
            Assert.That(Decisions(report), Is.EqualTo("app:v1 removed; app:v2 keep_count"));
        });
    }
}
