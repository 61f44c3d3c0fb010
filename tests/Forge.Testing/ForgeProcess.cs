using System.Diagnostics;
using Forge.Host.Hosting;

namespace Forge.Testing;

/// <summary>What one run of the <c>forge</c> program printed and returned.</summary>
public sealed record ForgeProcessResult(int ExitCode, string Output, string Error)
{
    public IReadOnlyList<string> ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>
/// Runs the built <c>forge</c> program (<c>dotnet forge.dll</c>, which sits next to the tests) to the end as
/// an operator would: standard input redirected and fed <c>stdin</c> (nothing when null, then closed),
/// standard output and error captured.
/// </summary>
public static class ForgeProcess
{
    public static async Task<ForgeProcessResult> RunAsync(IReadOnlyDictionary<string, string> environment, string? stdin, params string[] args)
    {
        var forge = typeof(ForgeApp).Assembly.Location;
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(forge),
        };
        start.ArgumentList.Add(forge);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("ConnectionStrings__Forge");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the forge process.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(stdin);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The program exited (a usage error) before reading its input: what it said is in its output.
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"forge {string.Join(' ', args)} did not exit within 2 minutes; standard error: {await error}");
        }

        return new ForgeProcessResult(process.ExitCode, await output, await error);
    }

    /// <summary>The dotnet executable that runs the tests (the CLI names it in DOTNET_HOST_PATH), else the one on PATH.</summary>
    public static string DotnetHost()
        => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : "dotnet";
}
