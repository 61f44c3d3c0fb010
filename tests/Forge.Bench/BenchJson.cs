using System.Text.Json;

namespace Forge.Bench;

/// <summary>The benchmarks' <c>--json</c> output: web names (camelCase), indented.</summary>
public static class BenchJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string Serialize<T>(T result) => JsonSerializer.Serialize(result, Options);
}
