using System.Globalization;
using Forge.Host.Cli;
using Forge.Host.Hosting;
using Forge.Modularity;

namespace Forge.Host.Tests.Support;

/// <summary>What one command line run printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Output, string Error)
{
    public IReadOnlyList<string> ErrorLines => Lines(Error);

    public IReadOnlyList<string> OutputLines => Lines(Output);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

public static class ForgeCli
{
    /// <summary>Runs the <c>forge</c> command line in this process, capturing its standard output and error.</summary>
    public static async Task<CliResult> RunAsync(ForgeAppOptions options, params string[] args)
    {
        await using var output = new StringWriter(CultureInfo.InvariantCulture);
        await using var error = new StringWriter(CultureInfo.InvariantCulture);
        var exitCode = await ForgeCommandLine.RunAsync(args, options, output, error);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }

    /// <summary>What every usage or configuration error must look like: exit code 2 and one line on standard error that names <paramref name="culprit"/>.</summary>
    public static void AssertUsageErrorNaming(CliResult result, string culprit)
    {
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.UsageError));
            Assert.That(result.ErrorLines, Has.Count.EqualTo(1));
            Assert.That(result.ErrorLines, Has.All.StartsWith("forge: error:").And.All.Contains(culprit));
        });
    }
}
