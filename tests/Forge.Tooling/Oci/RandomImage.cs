namespace Forge.Tooling.Oci;

/// <summary>
/// What <see cref="OciLayout.WriteImage(string, RandomImage)"/> writes: for each platform (the first of <see cref="OciPlatform.All"/>),
/// layers that are tars of files of random bytes, and a config naming them. Every byte is a function of the image alone,
/// so two layouts written from equal images hold the same digests, and an image of another seed shares no blob with this one.
/// <see cref="Small"/> is the registry tests' image, <see cref="OfSize"/> the benchmark's.
/// </summary>
public sealed record RandomImage
{
    /// <summary>How many layers <see cref="OfSize"/> gives each platform.</summary>
    public const int SizedLayersPerPlatform = 4;

    /// <summary>Where the random bytes come from: another seed, other bytes in every file.</summary>
    public required int Seed { get; init; }

    /// <summary>Per platform, its layers; per layer, the sizes in bytes of its files.</summary>
    public required IReadOnlyList<IReadOnlyList<IReadOnlyList<long>>> FileSizes { get; init; }

    /// <summary>The labels of each platform's config; none by default.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// A few kilobytes a platform: 1 to 3 layers of 1 to 3 files of 256 to 4096 bytes, as many of each as
    /// <paramref name="seed"/> draws, for the first <paramref name="platforms"/> of <see cref="OciPlatform.All"/>.
    /// </summary>
    public static RandomImage Small(int seed, int platforms = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(platforms, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(platforms, OciPlatform.All.Count);
        var random = new Random(seed);
        var sizes = new List<IReadOnlyList<IReadOnlyList<long>>>();
        for (var p = 0; p < platforms; p++)
        {
            var layers = new List<IReadOnlyList<long>>();
            for (var l = random.Next(1, 4); l > 0; l--)
            {
                var files = new List<long>();
                for (var f = random.Next(1, 4); f > 0; f--)
                {
                    files.Add(random.Next(256, 4097));
                }

                layers.Add(files);
            }

            sizes.Add(layers);
        }

        return new RandomImage { Seed = seed, FileSizes = sizes };
    }

    /// <summary>
    /// About <paramref name="megabytes"/> MiB of layers in all, shared evenly by the first <paramref name="platforms"/> of
    /// <see cref="OciPlatform.All"/>; each platform's <see cref="SizedLayersPerPlatform"/> layers are one file each and weigh
    /// 1:2:3:4, so that the image has small and large layers alike.
    /// </summary>
    public static RandomImage OfSize(int seed, int platforms, int megabytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(platforms, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(platforms, OciPlatform.All.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(megabytes, 1);
        var perPlatform = megabytes * 1024L * 1024 / platforms;
        var weights = Enumerable.Range(1, SizedLayersPerPlatform).ToArray();
        IReadOnlyList<IReadOnlyList<long>> layers = [.. weights.Select(w => (IReadOnlyList<long>)[perPlatform * w / weights.Sum()])];
        return new RandomImage { Seed = seed, FileSizes = [.. Enumerable.Repeat(layers, platforms)] };
    }
}
