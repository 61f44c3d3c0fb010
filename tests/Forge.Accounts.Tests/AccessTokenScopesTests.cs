namespace Forge.Accounts.Tests;

/// <summary>What Forgejo's scope strings allow with packages, and the lifetimes a new token may have.</summary>
public sealed class AccessTokenScopesTests
{
    [TestCase("write:package", PackageScope.Write)]
    [TestCase("read:package", PackageScope.Read)]
    [TestCase("all", PackageScope.Write)]
    [TestCase("read:repository,read:package", PackageScope.Read)]
    [TestCase("read:package,write:package", PackageScope.Write)]
    [TestCase("read:user, write:package", PackageScope.Write)]
    public void A_package_scope_allows_reading_or_writing(string scope, PackageScope allowed)
        => Assert.That(AccessTokenScopes.Packages(scope), Is.EqualTo(allowed));

    [TestCase("read:repository")]
    [TestCase("write:repository,read:user")]
    [TestCase("read:packages")]
    [TestCase("")]
    [TestCase(null)]
    public void Any_other_scope_allows_nothing_with_packages(string? scope)
        => Assert.That(AccessTokenScopes.Packages(scope), Is.Null);

    [TestCase("90d", 90 * 24 * 60)]
    [TestCase("12h", 12 * 60)]
    [TestCase("1m", 1)]
    [TestCase("3650d", 3650 * 24 * 60)]
    public void A_lifetime_is_a_number_of_days_hours_or_minutes(string text, int minutes)
    {
        Assert.Multiple(() =>
        {
            Assert.That(AccessTokenLifetime.Parse(text, out var problem), Is.EqualTo(TimeSpan.FromMinutes(minutes)));
            Assert.That(problem, Is.Null);
        });
    }

    [TestCase("0m", "out of range")]
    [TestCase("3651d", "out of range")]
    [TestCase("90", "not a lifetime")]
    [TestCase("d", "not a lifetime")]
    [TestCase("1.5d", "not a lifetime")]
    [TestCase("-1d", "not a lifetime")]
    [TestCase("90s", "not a lifetime")]
    [TestCase("90D", "not a lifetime")]
    [TestCase("", "not a lifetime")]
    public void A_bad_lifetime_is_refused_saying_why(string text, string reason)
    {
        Assert.Multiple(() =>
        {
            Assert.That(AccessTokenLifetime.Parse(text, out var problem), Is.Null);
            Assert.That(problem, Does.Contain(reason));
        });
    }
}
