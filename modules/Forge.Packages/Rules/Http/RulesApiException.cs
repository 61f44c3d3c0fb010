using Microsoft.AspNetCore.Http;

namespace Forge.Packages.Rules.Http;

/// <summary>
/// A request the rules' API refuses: its status, a message for the client (never a credential), and the field or the
/// rule it is about. <see cref="RulesApiJson.ErrorAsync"/> writes it.
/// </summary>
internal sealed class RulesApiException(int status, string message, string? field = null, long? ruleId = null) : Exception(message)
{
    public int Status { get; } = status;

    /// <summary>The request body's field that is wrong (a 400).</summary>
    public string? Field { get; } = field;

    /// <summary>The rule in the way (a 409: the owner's rule of that type).</summary>
    public long? RuleId { get; } = ruleId;

    public static RulesApiException BadRequest(string message, string? field = null)
        => new(StatusCodes.Status400BadRequest, field is null ? message : $"{field}: {message}", field);

    /// <summary>With a 429: how long the client should wait.</summary>
    public TimeSpan? RetryAfter { get; private init; }

    public static RulesApiException Unauthorized(string message) => new(StatusCodes.Status401Unauthorized, message);

    public static RulesApiException TooManyRequests(TimeSpan retryAfter)
        => new(StatusCodes.Status429TooManyRequests, "too many failed sign-ins for this account or from this address: try again later") { RetryAfter = retryAfter };

    public static RulesApiException Forbidden(string message) => new(StatusCodes.Status403Forbidden, message);

    public static RulesApiException NotFound(string message) => new(StatusCodes.Status404NotFound, message);

    public static RulesApiException Conflict(RuleConflictException conflict)
        => new(StatusCodes.Status409Conflict, conflict.Message, ruleId: conflict.ExistingRuleId > 0 ? conflict.ExistingRuleId : null);

    public static RulesApiException TooLarge(int limit)
        => new(StatusCodes.Status413PayloadTooLarge, $"the body is larger than {limit / 1024} KiB: a rule's fields fit in far less");
}
