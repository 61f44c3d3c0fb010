using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Forge.Packages.Rules.Http;

/// <summary>
/// The fields of a rule that a request body (a JSON object, at most <see cref="MaxBodyBytes"/>) gives, under
/// Forgejo's column names: <c>type</c>, <c>enabled</c>, <c>keep_count</c>, <c>keep_pattern</c>, <c>remove_days</c>,
/// <c>remove_pattern</c>, <c>match_full_name</c>, and Forge's <c>keep_pulled_days</c>. Only what is given changes
/// (a PATCH). Here only the JSON is checked (each field known, given once, of its kind); what a value may be is
/// <see cref="CleanupRuleValidation"/>'s to say, for the API as for the command line.
/// </summary>
internal sealed class RuleRequest
{
    public const int MaxBodyBytes = 64 * 1024;

    private static readonly Dictionary<string, Func<JsonProperty, Func<CleanupRule, CleanupRule>>> Fields = new(StringComparer.Ordinal)
    {
        ["type"] = p => { var v = Text(p, "a package type, e.g. \"container\""); return r => r with { Type = v }; },
        ["enabled"] = p => { var v = Flag(p); return r => r with { Enabled = v }; },
        ["keep_count"] = p => { var v = Number(p); return r => r with { KeepCount = v }; },
        ["keep_pattern"] = p => { var v = Text(p, "a regular expression (\"\" unsets it)"); return r => r with { KeepPattern = v }; },
        ["remove_days"] = p => { var v = Number(p); return r => r with { RemoveDays = v }; },
        ["remove_pattern"] = p => { var v = Text(p, "a regular expression (\"\" unsets it)"); return r => r with { RemovePattern = v }; },
        ["match_full_name"] = p => { var v = Flag(p); return r => r with { MatchFullName = v }; },
        ["keep_pulled_days"] = p => { var v = Number(p); return r => r with { KeepPulledDays = v }; },
    };

    // What the answers carry and no request sets.
    private static readonly HashSet<string> ReadOnly = new(["id", "owner", "owner_id", "is_default", "created", "updated"], StringComparer.Ordinal);

    private readonly List<Func<CleanupRule, CleanupRule>> changes;

    private RuleRequest(List<Func<CleanupRule, CleanupRule>> changes) => this.changes = changes;

    /// <summary>The rule with the request's fields written over it.</summary>
    public CleanupRule ApplyTo(CleanupRule rule) => changes.Aggregate(rule, (changed, change) => change(changed));

    /// <summary>Reads and checks the body; 413 when it is too large, 400 naming the field that is wrong.</summary>
    public static async Task<RuleRequest> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var document = Parse(await ReadBodyAsync(request, cancellationToken));
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw RulesApiException.BadRequest($"the body is a JSON {Kind(document.RootElement)}: send an object of a rule's fields, e.g. {{\"type\": \"container\", \"keep_count\": 10}}");
        }

        var given = new HashSet<string>(StringComparer.Ordinal);
        var changes = new List<Func<CleanupRule, CleanupRule>>();
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (!given.Add(property.Name))
            {
                throw RulesApiException.BadRequest("given twice: give each field once", property.Name);
            }

            if (ReadOnly.Contains(property.Name))
            {
                throw RulesApiException.BadRequest("is set by the forge, not by a request: leave it out", property.Name);
            }

            if (!Fields.TryGetValue(property.Name, out var field))
            {
                throw RulesApiException.BadRequest($"is not a field of a rule (the fields: {string.Join(", ", Fields.Keys)})", property.Name);
            }

            changes.Add(field(property));
        }

        return new RuleRequest(changes);
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            throw RulesApiException.TooLarge(MaxBodyBytes);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                throw RulesApiException.TooLarge(MaxBodyBytes);
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static JsonDocument Parse(byte[] body)
    {
        if (body.Length == 0)
        {
            throw RulesApiException.BadRequest("the body is empty: send a JSON object of a rule's fields, e.g. {\"type\": \"container\", \"keep_count\": 10}");
        }

        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            // Where, not what: the parser's message would quote the body back.
            throw RulesApiException.BadRequest($"the body is not JSON: it goes wrong at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}");
        }
    }

    private static string Text(JsonProperty property, string expected)
        => property.Value.ValueKind == JsonValueKind.String
            ? property.Value.GetString()!
            : throw RulesApiException.BadRequest($"is a {Kind(property.Value)}: it must be a string, {expected}", property.Name);

    private static bool Flag(JsonProperty property) => property.Value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw RulesApiException.BadRequest($"is a {Kind(property.Value)}: it must be true or false", property.Name),
    };

    private static int Number(JsonProperty property)
    {
        if (property.Value.ValueKind != JsonValueKind.Number)
        {
            throw RulesApiException.BadRequest($"is a {Kind(property.Value)}: it must be a whole number", property.Name);
        }

        if (property.Value.TryGetInt32(out var value))
        {
            return value;
        }

        throw RulesApiException.BadRequest(
            property.Value.TryGetInt64(out _) ? $"{property.Value.GetRawText()} is out of range" : $"{property.Value.GetRawText()} is not a whole number",
            property.Name);
    }

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };
}
