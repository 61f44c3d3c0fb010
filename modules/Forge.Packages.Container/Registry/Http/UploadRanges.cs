using System.Globalization;

namespace Forge.Packages.Container.Registry.Http;

/// <summary>The byte ranges of upload sessions: a chunk's <c>Content-Range</c>, and the <c>Range</c> a session has.</summary>
internal static class UploadRanges
{
    /// <summary>
    /// The chunk's first byte and length; both null when the header is absent. The specification's
    /// <c>&lt;start&gt;-&lt;end&gt;</c> and HTTP's <c>bytes &lt;start&gt;-&lt;end&gt;/&lt;total&gt;</c>, which some clients send.
    /// </summary>
    public static (long? Start, long? Length) ParseContentRange(string header)
    {
        if (header.Length == 0)
        {
            return (null, null);
        }

        var range = header.StartsWith("bytes", StringComparison.OrdinalIgnoreCase) ? header["bytes".Length..].TrimStart('=', ' ') : header;
        if (range.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0)
        {
            range = range[..slash];
        }

        var dash = range.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0
            && long.TryParse(range[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            && long.TryParse(range[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var end)
            && end >= start)
        {
            return (start, end - start + 1);
        }

        // The range is the client's mistake about where the session stands: 416, as for a chunk out of order.
        throw new RegistryFailureException(RegistryFailure.UploadOutOfOrder, $"Content-Range '{header}' is not '<start>-<end>' (inclusive byte offsets)");
    }

    /// <summary>An upload session's <c>Range</c> header: the bytes it has, <c>0-&lt;last&gt;</c>.</summary>
    public static string RangeOf(long received) => $"0-{Math.Max(0, received - 1)}";
}
