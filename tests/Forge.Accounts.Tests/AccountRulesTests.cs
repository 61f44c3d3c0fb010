namespace Forge.Accounts.Tests;

/// <summary>Which user names and passwords a new user may have.</summary>
public sealed class AccountRulesTests
{
    [TestCase("alice")]
    [TestCase("a")]
    [TestCase("ci-bot")]
    [TestCase("j.doe")]
    [TestCase("build_2")]
    [TestCase("0123456789012345678901234567890123456789")]
    public void A_valid_name_is_accepted(string name)
    {
        Assert.That(AccountNameRules.Problem(name), Is.Null);
    }

    [TestCase("Alice", "lower case")]
    [TestCase("", "empty")]
    [TestCase("01234567890123456789012345678901234567890", "at most 40")]
    [TestCase("-alice", "not valid")]
    [TestCase("alice.", "not valid")]
    [TestCase("a..b", "not valid")]
    [TestCase("a_-b", "not valid")]
    [TestCase("al ice", "not valid")]
    [TestCase("alice/app", "not valid")]
    [TestCase("ålice", "not valid")]
    [TestCase("alice\n", "not valid")]
    public void An_invalid_name_is_refused_saying_why(string name, string reason)
    {
        Assert.That(AccountNameRules.Problem(name), Does.Contain(reason));
    }

    [TestCase("api", "reserved")]
    [TestCase("admin", "reserved")]
    [TestCase("v2", "reserved")]
    [TestCase("assets", "reserved")]
    [TestCase("ghost", "reserved")]
    [TestCase("forgejo-actions", "reserved")]
    [TestCase("robots.txt", "reserved")]
    [TestCase("alice.keys", "'*.keys'")]
    [TestCase("alice.gpg", "'*.gpg'")]
    [TestCase("feed.rss", "'*.rss'")]
    [TestCase("me.png", "'*.png'")]
    public void A_name_Forgejo_reserves_is_refused_saying_so(string name, string reason)
    {
        Assert.That(AccountNameRules.Problem(name), Does.Contain(reason).And.Contain($"'{name}'"));
    }

    [TestCase("apis")]
    [TestCase("v2-bot")]
    [TestCase("keys")]
    [TestCase("alice.keys1")]
    public void A_name_that_only_resembles_a_reserved_one_is_accepted(string name)
    {
        Assert.That(AccountNameRules.Problem(name), Is.Null);
    }

    [TestCase("ci", null)]
    [TestCase("CI token ✓", null)]
    [TestCase("", "empty")]
    [TestCase("   ", "empty")]
    [TestCase("a\tb", "control character")]
    public void A_token_name_is_one_to_255_characters_without_control_characters(string name, string? reason)
    {
        var problem = AccessTokenNameRules.Problem(name);

        Assert.That(problem, reason is null ? Is.Null : Does.Contain(reason));
    }

    [Test]
    public void A_token_name_longer_than_255_characters_is_refused()
    {
        Assert.Multiple(() =>
        {
            Assert.That(AccessTokenNameRules.Problem(new string('t', 255)), Is.Null);
            Assert.That(AccessTokenNameRules.Problem(new string('t', 256)), Does.Contain("at most 255"));
        });
    }

    [TestCase("12345678")]
    [TestCase("pässwörd")]
    [TestCase("with spaces and ✓")]
    public void An_acceptable_password_passes(string password)
    {
        Assert.That(PasswordRules.Problem(password), Is.Null);
    }

    [TestCase("1234567", "too short")]
    [TestCase("", "too short")]
    [TestCase("abcd\0efgh", "NUL")]
    public void A_bad_password_is_refused_without_naming_it(string password, string reason)
    {
        var problem = PasswordRules.Problem(password);

        Assert.That(problem, Does.Contain(reason));
        if (password.Length > 0)
        {
            Assert.That(problem, Does.Not.Contain(password));
        }
    }

    [Test]
    public void The_password_length_counts_characters_up_to_1024()
    {
        Assert.Multiple(() =>
        {
            Assert.That(PasswordRules.Problem(new string('x', 1024)), Is.Null);
            Assert.That(PasswordRules.Problem(new string('x', 1025)), Does.Contain("too long"));
            // Four emoji are four characters (eight UTF-16 code units): too short.
            Assert.That(PasswordRules.Problem("😀😀😀😀"), Does.Contain("too short"));
        });
    }
}
