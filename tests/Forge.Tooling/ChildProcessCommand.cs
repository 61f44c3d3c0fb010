using System.Diagnostics;

namespace Forge.Tooling;

/// <summary>
/// A program to run as a child process, as <see cref="ChildProcess"/> starts it: its arguments, the folder it runs in,
/// what its environment changes, and the text fed to its standard input.
/// </summary>
public sealed record ChildProcessCommand(string Program, IReadOnlyList<string> Arguments)
{
    /// <summary>The variable through which Forge's host finds its database, and through which a shell's would leak into a child's.</summary>
    public const string ForgeConnectionString = "ConnectionStrings__Forge";

    /// <summary>The folder it runs in; this process's current folder when null.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Variables set over the environment it inherits; a null value removes an inherited one.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Written to its standard input, which is then closed; null closes it at once, so that nothing waits on a terminal.</summary>
    public string? StandardInput { get; init; }

    /// <summary>
    /// The dotnet executable for a child: the one the .NET CLI names in DOTNET_HOST_PATH (under dotnet test), else the
    /// one running this process (<c>dotnet forge-bench.dll</c>), else the one on PATH.
    /// </summary>
    public static string DotnetHost
        => System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path
            : System.Environment.ProcessPath is { } self && Path.GetFileName(self) == "dotnet" ? self
            : "dotnet";

    /// <summary><c>dotnet &lt;dll&gt; arguments</c>, in the dll's folder.</summary>
    public static ChildProcessCommand Dotnet(string dll, IEnumerable<string> arguments)
        => new(DotnetHost, [dll, .. arguments]) { WorkingDirectory = Path.GetDirectoryName(dll) };

    /// <summary>
    /// Forge's host, <c>dotnet forge.dll arguments</c> (or another program that takes Forge's settings from the environment),
    /// as an operator runs it: in its folder, with <paramref name="environment"/>, and without the <see cref="ForgeConnectionString"/>
    /// of whoever starts it unless <paramref name="environment"/> gives one.
    /// </summary>
    public static ChildProcessCommand Forge(string forgeDll, IReadOnlyDictionary<string, string> environment, IEnumerable<string> arguments)
    {
        var variables = new Dictionary<string, string?> { [ForgeConnectionString] = null };
        foreach (var (key, value) in environment)
        {
            variables[key] = value;
        }

        return Dotnet(forgeDll, arguments) with { Environment = variables };
    }

    /// <summary>This command run by <paramref name="program"/>, with <paramref name="arguments"/> before it: as <c>env</c> or <c>time</c> run a command.</summary>
    public ChildProcessCommand Under(string program, params IEnumerable<string> arguments)
    {
        IReadOnlyList<string> wrapped = [.. arguments, Program, .. Arguments];
        return this with { Program = program, Arguments = wrapped };
    }

    /// <summary>The command line, for messages (environment and input left out).</summary>
    public override string ToString() => string.Join(' ', [Program, .. Arguments]);

    internal ProcessStartInfo StartInfo()
    {
        var start = new ProcessStartInfo(Program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (WorkingDirectory is not null)
        {
            start.WorkingDirectory = WorkingDirectory;
        }

        foreach (var argument in Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in Environment)
        {
            if (value is null)
            {
                start.Environment.Remove(key);
            }
            else
            {
                start.Environment[key] = value;
            }
        }

        return start;
    }
}
