using System.Globalization;

namespace Forge.Modularity;

/// <summary>
/// The value of a <c>Retry-After</c> header for a wait: whole seconds rounded up, at least one (RFC 9110
/// delay-seconds), so that a client never retries before the wait is over.
/// </summary>
public static class RetryAfterSeconds
{
    public static string Format(TimeSpan wait)
        => Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
