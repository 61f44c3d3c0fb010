using Forge.Host.Http;
using Forge.Host.Tests.Support;

namespace Forge.Host.Tests;

/// <summary>The admin token check the host gives modules (IAdminTokenCheck): a match only for the token itself.</summary>
public sealed class AdminTokenCheckTests
{
    private const string Token = "admin-token-0a9b8c7d";

    private static AdminTokenCheck With(string? token)
        => new(HttpSettings.Read(InMemoryConfiguration.From((HttpSettings.AdminTokenKey, token))));

    [TestCase(Token, true)]
    [TestCase(Token + "x", false)]
    [TestCase("admin-token-0a9b8c7", false)]
    [TestCase("ADMIN-TOKEN-0A9B8C7D", false)]
    [TestCase("", false)]
    public void Only_the_token_itself_matches(string presented, bool matches)
    {
        var check = With(Token);

        Assert.Multiple(() =>
        {
            Assert.That(check.IsConfigured, Is.True);
            Assert.That(check.Matches(presented), Is.EqualTo(matches));
        });
    }

    [TestCase(null)]
    [TestCase("")]
    public void Without_a_token_nothing_matches(string? configured)
    {
        var check = With(configured);

        Assert.Multiple(() =>
        {
            Assert.That(check.IsConfigured, Is.False);
            Assert.That(check.Matches(""), Is.False);
            Assert.That(check.Matches(Token), Is.False);
        });
    }
}
