using System.Text;
using Forge.Packages.Container.Cleanup;

using static Forge.Packages.Container.Tests.Unit.Digests;

namespace Forge.Packages.Container.Tests.Unit;

/// <summary>Reading the digests an index's metadata_json lists (docs/cleanup.md rule 3).</summary>
public sealed class ManifestReferencesTests
{
    [Test]
    public void Compact_index_metadata_yields_every_entry_digest()
    {
        var parsed = ManifestReferences.Parse(Metadata.Index(Amd64, Arm64));

        Assert.That(parsed.Digests, Is.EqualTo(new[] { Amd64, Arm64 }));
        Assert.That(parsed.Malformed, Is.False);
    }

    [Test]
    public void Indented_index_metadata_yields_the_same_digests_as_compact()
    {
        var indented = $$"""
            {
              "type" : "oci",
              "manifests" : [ {
                  "platform" : "linux/amd64",
                  "digest" :	"{{Amd64}}"
                },
                { "digest": "{{Arm64}}" }
              ]
            }
            """;

        var parsed = ManifestReferences.Parse(indented);

        Assert.That(parsed.Digests, Is.EqualTo(new[] { Amd64, Arm64 }));
        Assert.That(parsed.Malformed, Is.False);
    }

    [Test]
    public void Keys_in_any_order_are_read()
    {
        var reordered = $$"""{"manifests":[{"size":1,"digest":"{{Amd64}}","platform":"linux/amd64"}],"type":"oci","is_tagged":true}""";

        Assert.That(ManifestReferences.Parse(reordered).Digests, Is.EqualTo(new[] { Amd64 }));
    }

    [Test]
    public void Upper_case_hex_digits_are_normalised_to_lower_case()
    {
        var parsed = ManifestReferences.Parse(Metadata.Index(Digests.WithUpperHex(Amd64)));

        Assert.That(parsed.Digests, Is.EqualTo(new[] { Amd64 }));
    }

    [Test]
    public void An_upper_case_algorithm_prefix_is_normalised_to_lower_case()
    {
        var parsed = ManifestReferences.Parse(Metadata.Index(Amd64.ToUpperInvariant()));

        Assert.That(parsed.Digests, Is.EqualTo(new[] { Amd64 }));
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("   ")]
    [TestCase("\n\t")]
    [TestCase("null")]
    [TestCase("[]")]
    [TestCase("42")]
    [TestCase("\"text\"")]
    [TestCase("true")]
    [TestCase("{}")]
    [TestCase("""{"manifests": {}}""")]
    [TestCase("""{"manifests": "x"}""")]
    [TestCase("""{"manifests": null}""")]
    [TestCase("""{"manifests": []}""")]
    [TestCase("""{"manifests": [1, "sha256:0000000000000000000000000000000000000000000000000000000000000000", null, [], true]}""")]
    [TestCase("""{"manifests": [{"digest": 42}, {"digest": null}, {"digest": {}}, {"digest": []}, {"platform": "linux/amd64"}]}""")]
    public void Metadata_without_string_digests_in_a_manifests_array_has_no_references_and_is_not_malformed(string? metadataJson)
    {
        var parsed = ManifestReferences.Parse(metadataJson);

        Assert.That(parsed.Digests, Is.Empty);
        Assert.That(parsed.Malformed, Is.False);
    }

    [Test]
    public void Digests_outside_the_manifests_array_of_valid_json_are_not_references()
    {
        var metadata = $$"""{"type":"oci","annotations":{"org.opencontainers.image.base.digest":"{{Amd64}}"},"layer_creation":["{{Arm64}}"]}""";

        Assert.That(ManifestReferences.Parse(metadata).Digests, Is.Empty);
    }

    [Test]
    public void Truncated_json_is_malformed_and_keeps_every_digest_in_its_text()
    {
        var truncated = Metadata.Index(Amd64, Arm64)[..^10];

        var parsed = ManifestReferences.Parse(truncated);

        Assert.That(parsed.Malformed, Is.True);
        Assert.That(parsed.Digests, Is.EquivalentTo(new[] { Amd64, Arm64 }));
    }

    [Test]
    public void Json_with_comments_is_malformed_and_keeps_its_digests()
    {
        var commented = $$"""
            {"manifests": [
              // amd64
              {"digest": "{{Amd64}}"}
            ]}
            """;

        var parsed = ManifestReferences.Parse(commented);

        Assert.That(parsed.Malformed, Is.True);
        Assert.That(parsed.Digests, Is.EqualTo(new[] { Amd64 }));
    }

    [Test]
    public void Json_with_single_quotes_is_malformed_and_keeps_its_digests()
    {
        var singleQuoted = $$"""{'manifests': [{'digest': '{{Amd64}}'}, {'digest': '{{Arm64}}'}]}""";

        var parsed = ManifestReferences.Parse(singleQuoted);

        Assert.That(parsed.Malformed, Is.True);
        Assert.That(parsed.Digests, Is.EquivalentTo(new[] { Amd64, Arm64 }));
    }

    [Test]
    public void Digests_of_malformed_text_are_lower_cased_and_listed_once()
    {
        var damaged = $$"""{"manifests":[{"digest":"{{Digests.WithUpperHex(Amd64)}}"},{"digest":"{{Amd64}}"},{"digest":"{{Amd64}}""";

        var parsed = ManifestReferences.Parse(damaged);

        Assert.That(parsed.Malformed, Is.True);
        Assert.That(parsed.Digests, Is.EqualTo(new[] { Amd64 }));
    }

    [Test]
    public void Malformed_text_without_any_digest_is_malformed_with_no_references()
    {
        var parsed = ManifestReferences.Parse("""{"manifests":[{"digest":"sha256:abc""");

        Assert.That(parsed.Malformed, Is.True);
        Assert.That(parsed.Digests, Is.Empty);
    }

    [Test]
    public void Text_that_is_not_json_at_all_is_malformed()
    {
        var parsed = ManifestReferences.Parse($"index of {Amd64} and {Arm64}");

        Assert.That(parsed.Malformed, Is.True);
        Assert.That(parsed.Digests, Is.EquivalentTo(new[] { Amd64, Arm64 }));
    }

    [Test]
    public void A_digest_written_with_json_unicode_escapes_is_decoded()
    {
        // "sha256:" spelled \u0073\u0068\u0061\u0032\u0035\u0036\u003a, and the first hex digit escaped too.
        var escapedPrefix = string.Concat("sha256:".Select(c => $"\\u{(int)c:x4}"));
        var hex = Amd64["sha256:".Length..];
        var metadata = $$"""{"manifests":[{"digest":"{{escapedPrefix}}\u{{(int)hex[0]:x4}}{{hex[1..]}}"}]}""";

        var parsed = ManifestReferences.Parse(metadata);

        Assert.That(parsed.Digests, Is.EqualTo(new[] { Amd64 }));
        Assert.That(parsed.Malformed, Is.False);
    }

    [Test]
    public void Duplicate_manifests_keys_keep_the_digests_of_both()
    {
        var duplicated = $$"""{"manifests":[{"digest":"{{Amd64}}"}],"type":"oci","manifests":[{"digest":"{{Arm64}}"}]}""";

        var parsed = ManifestReferences.Parse(duplicated);

        Assert.That(parsed.Digests, Is.EquivalentTo(new[] { Amd64, Arm64 }));
        Assert.That(parsed.Malformed, Is.False);
    }

    [Test]
    public void Key_names_are_read_whatever_their_letter_case()
    {
        var metadata = $$"""{"Manifests":[{"DIGEST":"{{Amd64}}"}],"MANIFESTS":[{"Digest":"{{Arm64}}"}]}""";

        Assert.That(ManifestReferences.Parse(metadata).Digests, Is.EquivalentTo(new[] { Amd64, Arm64 }));
    }

    [Test]
    public void A_document_of_several_megabytes_is_read_whole()
    {
        const int entries = 40_000;
        var builder = new StringBuilder("""{"type":"oci","manifests":[""");
        for (var i = 0; i < entries; i++)
        {
            builder.Append(i == 0 ? "" : ",").Append($$"""{"platform":"linux/amd64","digest":"{{Digests.Of($"platform {i}")}}","size":{{i}}}""");
        }

        var metadata = builder.Append("]}").ToString();

        var parsed = ManifestReferences.Parse(metadata);

        Assert.That(metadata, Has.Length.GreaterThan(4_000_000));
        Assert.That(parsed.Digests, Has.Count.EqualTo(entries));
        Assert.That(parsed.Digests[^1], Is.EqualTo(Digests.Of($"platform {entries - 1}")));
    }

    [Test]
    public void Deeply_nested_json_does_not_throw()
    {
        var nested = new string('[', 1000) + new string(']', 1000);

        var parsed = ParseWithoutThrowing(nested);

        Assert.That(parsed.Digests, Is.Empty);
    }

    [Test]
    public void An_index_carrying_a_deeply_nested_annotation_keeps_its_digests()
    {
        var nested = new string('[', 1000) + new string(']', 1000);
        var metadata = $$$"""{"manifests":[{"digest":"{{{Amd64}}}"}],"annotations":{"x":{{{nested}}}}}""";

        var parsed = ParseWithoutThrowing(metadata);

        Assert.That(parsed.Digests, Is.EqualTo(new[] { Amd64 }));
    }

    [TestCase("""{"manifests":[{"digest":"\uD800"},{"digest":"<amd64>"}]}""", TestName = "A_lone_surrogate_escape_in_a_digest_does_not_hide_the_other_digests")]
    [TestCase("""{"\uDC00":1,"manifests":[{"digest":"<amd64>"}]}""", TestName = "A_lone_surrogate_escape_in_another_key_does_not_hide_the_digests")]
    public void Metadata_with_a_lone_surrogate_escape_keeps_its_digests_without_throwing(string template)
    {
        var parsed = ParseWithoutThrowing(template.Replace("<amd64>", Amd64, StringComparison.Ordinal));

        Assert.That(parsed.Digests, Is.EqualTo(new[] { Amd64 }));
    }

    [TestCase("sha256\\u003a", TestName = "Malformed_text_keeps_a_digest_whose_colon_is_a_unicode_escape")]
    [TestCase("\\u0073ha256:", TestName = "Malformed_text_keeps_a_digest_whose_first_letter_is_a_unicode_escape")]
    [TestCase("\\u0053HA256\\u003A", TestName = "Malformed_text_keeps_a_digest_with_upper_case_escapes_of_an_upper_case_prefix")]
    public void Malformed_text_keeps_a_digest_spelled_with_unicode_escapes(string prefix)
    {
        // Truncated after the digest: not JSON, and the digest is in the text only through its escapes.
        var damaged = $$"""{"manifests":[{"digest":"{{prefix}}{{Amd64["sha256:".Length..]}}"}""";

        var parsed = ManifestReferences.Parse(damaged);

        Assert.That(parsed.Malformed, Is.True);
        Assert.That(parsed.Digests, Is.EqualTo(new[] { Amd64 }));
    }

    [Test]
    public void Malformed_text_with_an_upper_case_algorithm_prefix_keeps_the_digest()
    {
        var damaged = $$"""{"manifests":[{"digest":"{{Amd64.ToUpperInvariant()}}"}""";

        var parsed = ManifestReferences.Parse(damaged);

        Assert.That(parsed.Malformed, Is.True);
        Assert.That(parsed.Digests, Is.EqualTo(new[] { Amd64 }));
    }

    [TestCase("sha256:abc", true)]
    [TestCase("v1.2", false)]
    [TestCase("latest", false)]
    [TestCase("_upload", false)]
    public void Only_sha256_versions_are_digest_versions(string lowerVersion, bool isDigest)
        => Assert.That(ContainerLayout.IsDigestVersion(lowerVersion), Is.EqualTo(isDigest));

    private static ParsedReferences ParseWithoutThrowing(string metadataJson)
    {
        ParsedReferences parsed = default;
        Assert.That(() => parsed = ManifestReferences.Parse(metadataJson), Throws.Nothing);
        return parsed;
    }
}
