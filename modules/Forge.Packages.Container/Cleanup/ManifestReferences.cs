using System.Text.Json;
using System.Text.RegularExpressions;

namespace Forge.Packages.Container.Cleanup;

/// <summary>The digests a version's metadata_json references, and whether the text was malformed.</summary>
public readonly record struct ParsedReferences(IReadOnlyList<string> Digests, bool Malformed)
{
    public static ParsedReferences None { get; } = new([], false);
}

/// <summary>
/// Reads the digests an image index lists in its metadata_json (<c>manifests[].digest</c>), whatever its
/// whitespace, key order or letter case (docs/cleanup.md rule 3). Text that is not JSON is malformed: every
/// <c>sha256:&lt;64 hex&gt;</c> in it (spelled plainly or with <c>\u</c> escapes) still counts as a reference,
/// so that damage keeps children alive instead of condemning them.
/// </summary>
public static partial class ManifestReferences
{
    public static ParsedReferences Parse(string? metadataJson)
    {
        if (string.IsNullOrWhiteSpace(metadataJson))
        {
            return ParsedReferences.None;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(metadataJson, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException)
        {
            return new ParsedReferences(DigestsInText(metadataJson), Malformed: true);
        }

        using (document)
        {
            try
            {
                return ReadManifests(document.RootElement);
            }
            catch (InvalidOperationException)
            {
                // Valid JSON syntax whose strings cannot be decoded (a lone UTF-16 surrogate escape):
                // damaged too, and read fail-safe like text that does not parse.
                return new ParsedReferences(DigestsInText(metadataJson), Malformed: true);
            }
        }
    }

    private static ParsedReferences ReadManifests(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return ParsedReferences.None;
        }

        List<string>? digests = null;
        // Every "manifests" key counts, in any letter case, duplicates included: readers of this
        // metadata (Go's encoding/json among them) disagree on which duplicate wins, so keep them all.
        foreach (var property in root.EnumerateObject())
        {
            if (!property.NameEquals("manifests") && !string.Equals(property.Name, "manifests", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (property.Value.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            foreach (var entry in property.Value.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                foreach (var field in entry.EnumerateObject())
                {
                    if (field.Value.ValueKind == JsonValueKind.String &&
                        string.Equals(field.Name, "digest", StringComparison.OrdinalIgnoreCase))
                    {
                        (digests ??= []).Add(Normalize(field.Value.GetString()!));
                    }
                }
            }
        }

        return digests is null ? ParsedReferences.None : new ParsedReferences(digests, Malformed: false);
    }

    /// <summary>Digests compare case-insensitively; versions store them in lower case.</summary>
    public static string Normalize(string digest) => digest.Trim().ToLowerInvariant();

    private static List<string> DigestsInText(string text)
    {
        var found = DigestPattern().Matches(text).Select(m => m.Value);
        // Damaged text can spell a digest with \u escapes ("sha256\u003a…") as valid JSON can: look in the
        // decoded text too, so that damage never hides a digest a reader of the intact document would see.
        if (text.Contains("\\u", StringComparison.Ordinal))
        {
            var decoded = UnicodeEscape().Replace(text, m => ((char)Convert.ToUInt16(m.Groups[1].Value, 16)).ToString());
            found = found.Concat(DigestPattern().Matches(decoded).Select(m => m.Value));
        }

        return found.Select(Normalize).Distinct().ToList();
    }

    [GeneratedRegex("sha256:[0-9a-f]{64}", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex DigestPattern();

    [GeneratedRegex(@"\\u([0-9a-fA-F]{4})", RegexOptions.CultureInvariant)]
    private static partial Regex UnicodeEscape();
}
