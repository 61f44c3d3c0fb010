using Forge.Host.Hosting;
using Forge.Modularity;
using Forge.Testing;
using Forge.Tooling;

namespace Forge.Accounts.Tests;

/// <summary>The built <c>forge</c> program run over a test database, as the command tests run it, and what a refusal looks like.</summary>
internal static class ForgeCommandRuns
{
    /// <summary>The forge.dll the test run built (it sits next to the tests), fed <paramref name="stdin"/>; two minutes at the most.</summary>
    public static Task<ChildProcessResult> RunAsync(TestDatabase database, string? stdin, params string[] args)
        => ChildProcess.RunAsync(
            ChildProcessCommand.Forge(
                typeof(ForgeApp).Assembly.Location,
                new Dictionary<string, string>
                {
                    ["ConnectionStrings__Forge"] = database.ConnectionString,
                    ["Forge__DataPath"] = Path.Combine(Path.GetTempPath(), $"forge-accounts-tests-{Environment.ProcessId}"),
                    ["Logging__LogLevel__Default"] = "Warning",
                },
                args) with { StandardInput = stdin },
            TimeSpan.FromMinutes(2));

    /// <summary>A refusal: exit code 2, one line on standard error naming the fault, nothing on standard output, the secret (when given) nowhere.</summary>
    public static void AssertRefused(ChildProcessResult result, string fault, string secret = "")
    {
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.UsageError), result.Errors);
            Assert.That(result.ErrorLines, Has.Count.EqualTo(1));
            Assert.That(result.Errors, Does.StartWith("forge: error: ").And.Contain(fault));
            Assert.That(result.Output, Is.Empty);
            if (secret.Length > 0)
            {
                Assert.That(result.Output + result.Errors, Does.Not.Contain(secret));
            }
        });
    }
}
