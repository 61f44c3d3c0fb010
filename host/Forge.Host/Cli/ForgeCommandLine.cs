using System.CommandLine;
using System.Runtime.InteropServices;
using Forge.Host.Hosting;
using Forge.Modularity;

namespace Forge.Host.Cli;

/// <summary>
/// The <c>forge</c> command line: <c>run</c> (the default), <c>migrate</c>, <c>modules list</c>,
/// <c>cron list</c>, <c>cron run &lt;task&gt;</c>, and the commands modules add. Errors are one line on
/// standard error with a non-zero exit code (see <see cref="ExitCodes"/>).
/// </summary>
public static class ForgeCommandLine
{
    public static async Task<int> RunAsync(string[] args, ForgeAppOptions? baseOptions = null, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        baseOptions ??= new ForgeAppOptions();
        using var stopping = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

        var root = Build(baseOptions, output);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            var command = parsed.CommandResult.Command;
            var path = command == root ? "forge" : $"forge {Path(command, parsed)}";
            // A word the parser did not know is what went wrong; "required command was not provided" only follows from it.
            var first = parsed.UnmatchedTokens is [var unknown, ..]
                ? parsed.Errors.FirstOrDefault(e => e.Message.Contains($"'{unknown}'", StringComparison.Ordinal)) ?? parsed.Errors[0]
                : parsed.Errors[0];
            await error.WriteLineAsync($"forge: error: {first.Message.TrimEnd('.')} (see '{path} --help')");
            return ExitCodes.UsageError;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false }, stopping.Token);
        }
        catch (Exception e) when (e is ForgeConfigurationException or ModuleSettingException or CommandUsageException)
        {
            await error.WriteLineAsync($"forge: error: {e.Message}");
            return ExitCodes.UsageError;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            await error.WriteLineAsync("forge: stopped");
            return ExitCodes.Failure;
        }
        catch (Exception e)
        {
            await error.WriteLineAsync($"forge: error: {ExceptionMessage.OneLine(e)}");
            return ExitCodes.Failure;
        }

        void Stop(PosixSignalContext context)
        {
            // The host and the commands stop through the token; the process exits once they have cleaned up
            // (the embedded PostgreSQL among them).
            context.Cancel = true;
            stopping.Cancel();
        }
    }

    public static RootCommand Build(ForgeAppOptions baseOptions, TextWriter output)
    {
        var root = new RootCommand("Forge: a self-hosted software forge. Without a command, runs the host (the same as 'forge run').");
        var run = new Command("run", "Start the host: apply migrations, run the scheduler and telemetry until SIGINT or SIGTERM.");
        run.SetAction((_, token) => RunHostAsync(baseOptions, token));
        root.SetAction((_, token) => RunHostAsync(baseOptions, token));
        root.Subcommands.Add(run);

        var migrate = new Command("migrate", "Apply the schema migrations of the host and of every enabled module, then exit. Running it again changes nothing.");
        migrate.SetAction(async (_, token) =>
        {
            await using var app = await ForgeApp.CreateAsync(baseOptions, token);
            var applied = await app.MigrateAsync(token);
            await output.WriteLineAsync(applied.Count == 0
                ? $"The schema is up to date ({app.DatabaseDescription})."
                : $"Applied {applied.Count} migration(s) to {app.DatabaseDescription}: {string.Join(", ", applied)}.");
            return ExitCodes.Success;
        });
        root.Subcommands.Add(migrate);

        root.Subcommands.Add(ModulesCommands.Build(baseOptions, output));
        root.Subcommands.Add(CronCommands.Build(baseOptions, output));
        new ModuleCommandHost(baseOptions, output).AddModuleCommands(root);
        return root;
    }

    private static async Task<int> RunHostAsync(ForgeAppOptions baseOptions, CancellationToken token)
    {
        await using var app = await ForgeApp.CreateAsync(new ForgeAppOptions
        {
            Catalog = baseOptions.Catalog,
            Settings = baseOptions.Settings,
            ConfigureServices = baseOptions.ConfigureServices,
            UseScheduler = true,
        }, token);
        await app.RunAsync(token);
        return ExitCodes.Success;
    }

    private static string Path(Command command, ParseResult parsed)
    {
        var names = new List<string>();
        for (var result = parsed.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            if (result.Command is not RootCommand)
            {
                names.Insert(0, result.Command.Name);
            }
        }

        return names.Count == 0 ? command.Name : string.Join(' ', names);
    }
}
