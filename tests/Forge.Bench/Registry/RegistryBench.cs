using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Forge.Host.Hosting;
using Forge.Tooling;
using Forge.Tooling.Oci;

namespace Forge.Bench.Registry;

/// <summary>What one registry benchmark does: the image, the runs, the contenders and the programs it starts.</summary>
public sealed record RegistryBenchOptions
{
    public const string Forge = "forge";
    public const string Reference = "reference";

    public static IReadOnlyList<string> AllContenders { get; } = [Forge, Reference];

    public int Platforms { get; init; } = 3;
    public int SizeMegabytes { get; init; } = 256;
    public int Seed { get; init; } = 1;
    public int Runs { get; init; } = 3;
    public IReadOnlyList<string> Contenders { get; init; } = AllContenders;

    /// <summary>Keep the throwaway folder (the image, every run's storage and pulled layout) instead of removing it.</summary>
    public bool Keep { get; init; }

    /// <summary>Forge's host, whose <c>users add</c> and <c>run</c> the benchmark starts; by default the one built next to the benchmark.</summary>
    public string ForgeDll { get; init; } = typeof(ForgeApp).Assembly.Location;

    /// <summary>Where the throwaway folder goes; the system's temporary folder by default.</summary>
    public string WorkParent { get; init; } = Path.GetTempPath();
}

/// <summary>One contender's figures from one run, sizes in MiB; CPU seconds are the server process's own during the copy.</summary>
public sealed record RegistryRun(
    string Contender,
    int Run,
    double PushSeconds,
    double PullSeconds,
    double PushCpuSeconds,
    double PullCpuSeconds,
    double PeakResidentMegabytes,
    double IdleResidentMegabytes,
    double DiskMegabytes)
{
    public double PushMegabytesPerSecond(double imageMegabytes) => imageMegabytes / PushSeconds;

    public double PullMegabytesPerSecond(double imageMegabytes) => imageMegabytes / PullSeconds;
}

public sealed record RegistryBenchResult
{
    public required BenchImageSummary Image { get; init; }
    public required int Seed { get; init; }
    public required int Runs { get; init; }
    public required double GenerationSeconds { get; init; }

    /// <summary>The layers' size in MiB, which the MB/s figures divide.</summary>
    public double ImageMegabytes => Image.LayerBytes / (1024.0 * 1024.0);

    /// <summary>Every run of every contender, in the order they ran.</summary>
    public required IReadOnlyList<RegistryRun> AllRuns { get; init; }

    /// <summary>Per contender, the median of each figure over the runs.</summary>
    public required IReadOnlyList<RegistryRun> Medians { get; init; }

    /// <summary>True when every pull gave back every blob of the image, intact, under the same index (the benchmark stops otherwise).</summary>
    public required bool DigestsIdentical { get; init; }

    public required string SkopeoVersion { get; init; }
    public required string? ReferenceVersion { get; init; }
}

/// <summary>
/// The registry benchmark: write the image layout once, then per run and per contender (alternating which goes
/// first) start a fresh server, push the image with <c>skopeo copy --all</c>, measure the storage, pull it back into
/// a new layout, read the server's peak memory, stop it, and check that the pulled layout holds the pushed blobs.
/// </summary>
public sealed class RegistryBench(RegistryBenchOptions options, TextWriter log)
{
    public const string Repository = "bench/app";

    /// <summary>The tag of the benchmark's image, in its layout and in the registries.</summary>
    public const string Tag = "bench";
    private const string AccountName = "bench";
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Writes the image the benchmark pushes and pulls into a new layout <paramref name="directory"/>: <see cref="RandomImage.OfSize"/>
    /// of <paramref name="seed"/>, its configs labelled with the seed, tagged <see cref="Tag"/>.
    /// </summary>
    public static BenchImageSummary WriteImage(string directory, int platforms, int sizeMegabytes, int seed)
        => BenchImageSummary.Of(new OciLayout(directory).WriteImage(Tag, RandomImage.OfSize(seed, platforms, sizeMegabytes) with
        {
            Labels = new Dictionary<string, string> { ["bench.seed"] = seed.ToString(CultureInfo.InvariantCulture) },
        }));

    public async Task<RegistryBenchResult> RunAsync()
    {
        var root = Path.Combine(options.WorkParent, $"forge-bench-registry-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        try
        {
            var result = await RunInAsync(root);
            if (options.Keep)
            {
                log.WriteLine($"Kept {root}: the image layout in image/, each run's storage and pulled layout in run<N>-<contender>/");
            }

            return result;
        }
        finally
        {
            if (!options.Keep)
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    private async Task<RegistryBenchResult> RunInAsync(string root)
    {
        var image = Path.Combine(root, "image");
        log.WriteLine($"Writing a {options.Platforms}-platform image of {options.SizeMegabytes} MiB of layers (seed {options.Seed}) to {image}");
        var clock = Stopwatch.StartNew();
        var summary = WriteImage(image, options.Platforms, options.SizeMegabytes, options.Seed);
        var generation = clock.Elapsed.TotalSeconds;
        log.WriteLine($"  {summary.Layers} layers, {summary.LayerBytes / 1048576.0:0.0} MiB, {summary.Blobs} blobs, index {summary.IndexDigest}, in {generation:0.0} s");

        var runs = new List<RegistryRun>();
        for (var run = 1; run <= options.Runs; run++)
        {
            // Alternate who goes first, so that neither always meets a machine the other just warmed or dirtied.
            var order = run % 2 == 1 ? options.Contenders : options.Contenders.Reverse().ToList();
            log.WriteLine($"Run {run} of {options.Runs}: {string.Join(", then ", order)}");
            foreach (var contender in order)
            {
                var figures = await RunContenderAsync(contender, run, image, summary, Path.Combine(root, $"run{run}-{contender}"));
                runs.Add(figures);
                log.WriteLine($"  {contender}: push {figures.PushSeconds:0.00} s (server CPU {figures.PushCpuSeconds:0.00} s), pull {figures.PullSeconds:0.00} s (server CPU {figures.PullCpuSeconds:0.00} s), peak RSS {figures.PeakResidentMegabytes:0} MiB, " +
                              $"idle RSS {figures.IdleResidentMegabytes:0} MiB, disk {figures.DiskMegabytes:0.0} MiB; pulled layout identical");
            }
        }

        return new RegistryBenchResult
        {
            Image = summary,
            Seed = options.Seed,
            Runs = options.Runs,
            GenerationSeconds = generation,
            AllRuns = runs,
            Medians = options.Contenders.Where(_ => runs.Count > 0).Select(c => MedianRun(runs.Where(r => r.Contender == c).ToList())).ToList(),
            DigestsIdentical = true, // a difference threw
            SkopeoVersion = await VersionAsync(Skopeo.Executable, "--version") ?? "unknown",
            ReferenceVersion = options.Contenders.Contains(RegistryBenchOptions.Reference) ? await VersionAsync(RegistryServer.ReferenceProgram, "--version") : null,
        };
    }

    private async Task<RegistryRun> RunContenderAsync(string contender, int run, string image, BenchImageSummary summary, string directory)
    {
        Directory.CreateDirectory(directory);
        var account = new RegistryAccount(AccountName, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        await FlushAsync();
        var server = contender switch
        {
            RegistryBenchOptions.Forge => await RegistryServer.StartForgeAsync(options.ForgeDll, directory, account),
            RegistryBenchOptions.Reference => await RegistryServer.StartReferenceAsync(directory),
            _ => throw new BenchException($"unknown contender '{contender}'"),
        };
        var pulled = Path.Combine(directory, "pulled");
        double push, pull, pushCpu, pullCpu, idle, peak, disk;
        await using (server)
        {
            await Task.Delay(Settle);
            idle = server.ResidentBytes() / 1048576.0;
            var cpu = server.CpuSeconds();
            push = await CopyAsync($"oci:{image}:{summary.Tag}", $"docker://{server.Host}/{Repository}:{summary.Tag}", server, to: SkopeoAccess.Http);
            pushCpu = server.CpuSeconds() - cpu;
            disk = server.StorageBytes() / 1048576.0;
            await FlushAsync();
            cpu = server.CpuSeconds();
            pull = await CopyAsync($"docker://{server.Host}/{Repository}:{summary.Tag}", $"oci:{pulled}:{summary.Tag}", server, from: SkopeoAccess.Http);
            pullCpu = server.CpuSeconds() - cpu;
            peak = server.PeakResidentBytes() / 1048576.0;
        }

        var differences = LayoutComparison.Differences(image, pulled, summary.Tag);
        if (differences.Count > 0)
        {
            throw new BenchException($"{contender}, run {run}: the pulled image differs from the pushed one: {string.Join("; ", differences)}");
        }

        if (!options.Keep)
        {
            Directory.Delete(directory, recursive: true);
        }

        return new RegistryRun(contender, run, push, pull, pushCpu, pullCpu, peak, idle, disk);
    }

    /// <summary>
    /// <c>skopeo copy --all</c> between the image layout and <paramref name="server"/>, timed. Its account goes into the copy's own
    /// authentication file, never on the command line; the seconds it took.
    /// </summary>
    private static async Task<double> CopyAsync(string source, string destination, RegistryServer server, SkopeoAccess? from = null, SkopeoAccess? to = null)
    {
        var skopeo = new Skopeo
        {
            // A copy at registry scale takes what it takes: the benchmark measures it rather than bounds it.
            Timeout = Timeout.InfiniteTimeSpan,
            Logins = server.Account is { } account
                ? new Dictionary<string, SkopeoCredentials> { [server.Host] = new(account.Name, account.Password) }
                : new Dictionary<string, SkopeoCredentials>(),
        };
        var copied = await skopeo.CopyAllAsync(source, destination, from, to, quiet: true);
        if (!copied.Succeeded)
        {
            throw new BenchException($"{copied.Command} against {server.Contender} failed with exit code {copied.ExitCode}: " +
                                     $"{copied.Errors.Trim()} {copied.Output.Trim()}; the server said: {server.RecentOutput()}");
        }

        return copied.Elapsed.TotalSeconds;
    }

    /// <summary>Writes dirty pages out now, so that no contender's copy pays for the previous one's writes.</summary>
    private static async Task FlushAsync() => await ChildProcess.RunAsync(new ChildProcessCommand("sync", []));

    private static async Task<string?> VersionAsync(string program, string argument)
    {
        try
        {
            var output = (await ChildProcess.RunAsync(new ChildProcessCommand(program, [argument]))).Output;
            // docker-registry prints its own path first: "/usr/bin/docker-registry github.com/docker/distribution 2.8.2+ds1".
            return output.Trim().Replace(program + " ", "", StringComparison.Ordinal);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static RegistryRun MedianRun(List<RegistryRun> runs)
    {
        static double M(IEnumerable<double> values) => Median.Of(values);

        return new RegistryRun(
            runs[0].Contender,
            0,
            M(runs.Select(r => r.PushSeconds)),
            M(runs.Select(r => r.PullSeconds)),
            M(runs.Select(r => r.PushCpuSeconds)),
            M(runs.Select(r => r.PullCpuSeconds)),
            M(runs.Select(r => r.PeakResidentMegabytes)),
            M(runs.Select(r => r.IdleResidentMegabytes)),
            M(runs.Select(r => r.DiskMegabytes)));
    }
}
