using System.CommandLine;
using Forge.Modularity;
using Forge.Packages.Content;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Forge.Packages.Cli;

/// <summary><c>packages storage migrate</c>: copies the content store between this node's folder and the bucket.</summary>
internal static class StorageCommands
{
    public static Command Build(IModuleCommandHost host)
    {
        var to = new Option<string>("--to")
        {
            Description = "Where to copy to: s3 (from the folder Forge:Packages:StorePath to the bucket Forge:Storage:S3:*) or local (back).",
            Required = true,
        };
        to.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is not ("s3" or "local") and var value)
            {
                result.AddError($"--to '{value}' is not a store: use s3 or local");
            }
        });
        var json = CommandOptions.Json();
        var migrate = new Command(
            "migrate",
            "Copy every blob that package_blob names to the other store, each verified by its SHA-256 on the way and by its size once stored; "
            + "what is already there is skipped, so an interrupted run resumes when run again. Nothing is deleted from either store. "
            + "Exit code 1 when a blob could not be copied.");
        migrate.Options.Add(to);
        migrate.Options.Add(json);
        migrate.SetAction((parsed, token) => host.RunAsync(PackagesModule.ModuleName, async (services, cancellationToken) =>
        {
            var configuration = services.GetRequiredService<IConfiguration>();
            using var bucket = new S3ContentStore(StorageSettings.ReadS3(configuration));
            var folder = new FolderContentStore(StorageSettings.StorePath(configuration));
            var (source, destination) = parsed.GetValue(to) == "s3" ? ((IContentStore)folder, (IContentStore)bucket) : (bucket, folder);
            var report = await services.GetRequiredService<StorageMigration>().RunAsync(source, destination, cancellationToken);
            if (parsed.GetValue(json))
            {
                await host.Output.WriteLineAsync(report.ToJson());
            }
            else
            {
                await host.Output.WriteLineAsync($"From {report.From} to {report.To}: {report.Blobs} blob row(s)");
                await host.Output.WriteLineAsync($"  copied: {report.Copied} ({report.BytesCopied} bytes)");
                await host.Output.WriteLineAsync($"  already there: {report.AlreadyThere}");
                await host.Output.WriteLineAsync($"  deleted meanwhile: {report.Gone}");
                await host.Output.WriteLineAsync($"  missing in the source (DATA LOSS): {report.MissingInSource.Count}");
                await host.Output.WriteLineAsync($"  corrupt in the source: {report.CorruptInSource.Count}");
                await host.Output.WriteLineAsync($"  failed (run again): {report.Failed.Count}");
                foreach (var (what, hashes) in new[] { ("missing", report.MissingInSource), ("corrupt", report.CorruptInSource), ("failed", report.Failed) })
                {
                    foreach (var hash in hashes.Take(20))
                    {
                        await host.Output.WriteLineAsync($"  {what}  sha256:{hash}");
                    }
                }
            }

            return report.Complete ? ExitCodes.Success : ExitCodes.Failure;
        }, token));
        var command = new Command("storage", "The content store: where blob bytes are kept (Forge:Storage:Type).");
        command.Subcommands.Add(migrate);
        return command;
    }
}
