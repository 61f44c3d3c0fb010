using Forge.Tooling;

namespace Forge.Bench;

/// <summary><c>forge migrate</c> against a benchmark's database, in its own process, as an operator runs it.</summary>
public static class ForgeMigrate
{
    public static async Task RunAsync(string forgeDll, string connectionString)
    {
        var migrate = await ChildProcess.RunAsync(ChildProcessCommand.Forge(forgeDll, BenchPipeline.ForgeEnvironment(connectionString), ["migrate"]));
        if (migrate.ExitCode != 0)
        {
            throw new BenchException($"forge migrate failed with exit code {migrate.ExitCode}: {migrate.Errors.Trim()}");
        }
    }
}
