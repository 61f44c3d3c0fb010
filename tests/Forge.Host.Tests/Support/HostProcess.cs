using Forge.Host.Hosting;
using Forge.Tooling;

namespace Forge.Host.Tests.Support;

/// <summary>
/// <c>dotnet forge.dll</c> as a child process: the host the test run built (the test project references it,
/// so forge.dll sits next to the tests), with the environment an operator would give it.
/// </summary>
public static class HostProcess
{
    /// <summary>Starts <c>forge</c> with <paramref name="args"/> and the environment given; no connection string, unless given.</summary>
    public static ChildProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        // A free port unless the test names one: hosts of parallel tests never fight over port 3000.
        var variables = new Dictionary<string, string> { ["Forge__Http__Urls"] = "http://127.0.0.1:0" };
        foreach (var (key, value) in environment)
        {
            variables[key] = value;
        }

        // Through env(1) with SIGINT back to its default, as a service manager or a terminal starts the host:
        // a test run started in the background (nohup, '&' in a script) ignores SIGINT, every child inherits
        // that, and the runtime rightly keeps an ignored SIGINT ignored. env execs, so the pid is forge's.
        return ChildProcess.Start(
            ChildProcessCommand.Forge(typeof(ForgeApp).Assembly.Location, variables, args).Under("/usr/bin/env", "--default-signal=INT"));
    }
}
