using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Forge.Tooling.Oci;

namespace Forge.Bench.Registry;

/// <summary>Whether a pulled image layout holds exactly the blobs of the layout that was pushed, each intact, under the same tagged index.</summary>
public static class LayoutComparison
{
    /// <summary>What differs between the two layouts, at most a few samples of each kind; empty when they agree.</summary>
    public static IReadOnlyList<string> Differences(string source, string pulled, string tag)
    {
        var differences = new List<string>();
        var expected = BlobNames(source);
        var actual = BlobNames(pulled);
        var missing = expected.Except(actual).ToList();
        var extra = actual.Except(expected).ToList();
        if (missing.Count > 0)
        {
            differences.Add($"{missing.Count} blob(s) missing from the pulled layout (e.g. sha256:{missing[0]})");
        }

        if (extra.Count > 0)
        {
            differences.Add($"{extra.Count} blob(s) in the pulled layout that were never pushed (e.g. sha256:{extra[0]})");
        }

        var corrupt = actual.Intersect(expected).Where(name => !Intact(pulled, name)).ToList();
        if (corrupt.Count > 0)
        {
            differences.Add($"{corrupt.Count} pulled blob(s) whose content does not hash to their name (e.g. sha256:{corrupt[0]})");
        }

        var sourceIndex = TaggedDigest(source, tag);
        var pulledIndex = TaggedDigest(pulled, tag);
        if (sourceIndex != pulledIndex)
        {
            differences.Add($"tag {tag} names {pulledIndex ?? "nothing"} in the pulled layout, {sourceIndex} in the source");
        }

        return differences;
    }

    private static SortedSet<string> BlobNames(string layout)
    {
        var blobs = Path.Combine(layout, "blobs", "sha256");
        return Directory.Exists(blobs)
            ? new SortedSet<string>(Directory.EnumerateFiles(blobs).Select(Path.GetFileName).OfType<string>().Where(n => !n.StartsWith('.')), StringComparer.Ordinal)
            : new SortedSet<string>(StringComparer.Ordinal);
    }

    private static bool Intact(string layout, string name)
    {
        using var file = File.OpenRead(Path.Combine(layout, "blobs", "sha256", name));
        return Convert.ToHexStringLower(SHA256.HashData(file)) == name;
    }

    private static string? TaggedDigest(string layout, string tag)
    {
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(layout, "index.json")))!;
        return index["manifests"]!.AsArray()
            .Where(m => (string?)m!["annotations"]?[OciLayout.RefNameAnnotation] == tag)
            .Select(m => (string?)m!["digest"])
            .FirstOrDefault();
    }
}
