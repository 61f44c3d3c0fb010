using System.Globalization;
using Forge.Accounts;
using Forge.Modularity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Forge.Packages.Rules.Http;

/// <summary>
/// The owners' retention rules over HTTP, under <c>/api/v1/packages/{owner}/rules</c>: list and create, get, change
/// (only the fields given) and delete one, and preview what one would remove now. Every request needs the owner's
/// credentials or the admin token (<see cref="RulesAccess"/>); a rule is checked by <see cref="CleanupRuleValidation"/>
/// and written by <see cref="CleanupRuleStore"/>, as by <c>forge packages rules</c>. Refusals are
/// <see cref="RulesApiException"/>s, answered by <see cref="RulesApiJson"/>.
/// </summary>
internal sealed partial class RulesEndpoints(
    RulesAccess access,
    CleanupRuleStore store,
    PackageRulesCleanup cleanup,
    DefaultCleanupRuleSettings defaults,
    ILogger<RulesEndpoints> logger) : IModuleEndpoints
{
    public const string Path = "/api/v1/packages/{owner}/rules";

    public string Description => Path + " (package rules)";

    public void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Path, Handle(ListAsync));
        endpoints.MapPost(Path, Handle(CreateAsync));
        endpoints.MapGet(Path + "/{id}", Handle(GetAsync));
        endpoints.MapPatch(Path + "/{id}", Handle(PatchAsync));
        endpoints.MapDelete(Path + "/{id}", Handle(DeleteAsync));
        endpoints.MapGet(Path + "/{id}/preview", Handle(PreviewAsync));
    }

    /// <summary><c>GET …/rules</c>: the owner's rules by id, after the default rule when it stands in for one of them.</summary>
    private async Task ListAsync(HttpContext context, Account owner, CancellationToken cancellationToken)
    {
        var rules = await store.ListAsync(owner.Id, cancellationToken);
        var listed = DefaultFor(owner, rules) is { } fallback ? rules.Prepend(fallback) : rules;
        await RulesApiJson.WriteAsync(context, StatusCodes.Status200OK, listed.Select(r => RuleResponse.Of(r, owner.Name)).ToList());
    }

    /// <summary><c>POST …/rules</c>: 201 with the rule and its Location; 409 when the owner has a rule of its type.</summary>
    private async Task CreateAsync(HttpContext context, Account owner, CancellationToken cancellationToken)
    {
        var request = await RuleRequest.ReadAsync(context.Request, cancellationToken);
        var added = await WriteAsync(request.ApplyTo(new CleanupRule { OwnerId = owner.Id, Enabled = true }), store.AddAsync, cancellationToken);
        context.Response.Headers[HeaderNames.Location] = $"{Path.Replace("{owner}", Uri.EscapeDataString(owner.Name), StringComparison.Ordinal)}/{added.Id}";
        await RulesApiJson.WriteAsync(context, StatusCodes.Status201Created, RuleResponse.Of(added, owner.Name));
    }

    /// <summary><c>GET …/rules/{id}</c> (0: the default rule, when it stands in for the owner).</summary>
    private async Task GetAsync(HttpContext context, Account owner, CancellationToken cancellationToken)
        => await RulesApiJson.WriteAsync(context, StatusCodes.Status200OK, RuleResponse.Of(await RuleAsync(context, owner, cancellationToken), owner.Name));

    /// <summary><c>PATCH …/rules/{id}</c>: the fields given change, the others stay.</summary>
    private async Task PatchAsync(HttpContext context, Account owner, CancellationToken cancellationToken)
    {
        var existing = await StoredRuleAsync(context, owner, cancellationToken);
        var changed = (await RuleRequest.ReadAsync(context.Request, cancellationToken)).ApplyTo(existing);
        var written = changed == existing
            ? existing
            : await WriteAsync(changed, store.UpdateAsync, cancellationToken) ?? throw NoRule(owner, existing.Id);
        await RulesApiJson.WriteAsync(context, StatusCodes.Status200OK, RuleResponse.Of(written, owner.Name));
    }

    /// <summary><c>DELETE …/rules/{id}</c>: 204; the versions it removed stay removed.</summary>
    private async Task DeleteAsync(HttpContext context, Account owner, CancellationToken cancellationToken)
    {
        var rule = await StoredRuleAsync(context, owner, cancellationToken);
        if (!await store.RemoveAsync(rule.Id, cancellationToken))
        {
            throw NoRule(owner, rule.Id);
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary><c>GET …/rules/{id}/preview</c>: what the rule would remove now, for this owner alone; removes nothing.</summary>
    private async Task PreviewAsync(HttpContext context, Account owner, CancellationToken cancellationToken)
    {
        var rule = await RuleAsync(context, owner, cancellationToken);
        var report = await cleanup.PreviewAsync(rule.Id, owner.Id, cancellationToken) ?? throw NoRule(owner, rule.Id);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(report.ToJson(), cancellationToken);
    }

    /// <summary>The rule of the path's id, if it is the owner's: a stored one, or the default rule standing in for the owner (id 0).</summary>
    private async Task<CleanupRule> RuleAsync(HttpContext context, Account owner, CancellationToken cancellationToken)
    {
        var text = context.Request.RouteValues["id"] as string;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            throw RulesApiException.NotFound($"'{text}' is not a rule id: the ids are those GET {Path} lists");
        }

        if (id == 0)
        {
            return DefaultFor(owner, await store.ListAsync(owner.Id, cancellationToken))
                ?? throw RulesApiException.NotFound(defaults.Rule is { } fallback
                    ? $"the default rule does not stand in for {owner.Name}: it has a {fallback.Type} rule of its own"
                    : DefaultCleanupRuleSettings.Off);
        }

        // Another owner's rule is as unknown here as a rule that does not exist.
        return await store.FindAsync(id, cancellationToken) is { } rule && rule.OwnerId == owner.Id ? rule : throw NoRule(owner, id);
    }

    /// <summary>A rule that a request may change: a stored one (the default rule is the configuration's).</summary>
    private async Task<CleanupRule> StoredRuleAsync(HttpContext context, Account owner, CancellationToken cancellationToken)
    {
        var rule = await RuleAsync(context, owner, cancellationToken);
        if (rule.IsDefault)
        {
            context.Response.Headers.Allow = "GET";
            throw new RulesApiException(StatusCodes.Status405MethodNotAllowed,
                $"the default rule (id 0) is the configuration's ({DefaultCleanupRuleSettings.Section}); to change what {owner.Name} keeps, POST a {rule.Type} rule of its own");
        }

        return rule;
    }

    /// <summary>The default rule for <paramref name="owner"/>, when it is on and the owner has no rule of its type.</summary>
    private CleanupRule? DefaultFor(Account owner, IReadOnlyList<CleanupRule> rules)
        => defaults.Rule is { } fallback && !rules.Any(r => r.Type == fallback.Type) ? fallback with { OwnerId = owner.Id } : null;

    /// <summary>Checks the rule as the command line does (400 naming the field), then writes it (409 naming the rule in the way).</summary>
    private async Task<T> WriteAsync<T>(CleanupRule rule, Func<CleanupRule, CancellationToken, Task<T>> write, CancellationToken cancellationToken)
    {
        if (CleanupRuleValidation.Problems(rule, cleanup.ServedTypes) is [var (field, message), ..])
        {
            throw RulesApiException.BadRequest(message, field);
        }

        try
        {
            return await write(rule, cancellationToken);
        }
        catch (RuleConflictException e)
        {
            throw RulesApiException.Conflict(e);
        }
    }

    private static RulesApiException NoRule(Account owner, long id) => RulesApiException.NotFound($"{owner.Name} has no rule {id}");

    /// <summary>
    /// A handler behind the credential check of the path's owner, with every refusal answered as JSON and anything
    /// unforeseen logged and answered 500 (the log says why; the answer holds no detail).
    /// </summary>
    private RequestDelegate Handle(Func<HttpContext, Account, CancellationToken, Task> handler) => async context =>
    {
        var cancellationToken = context.RequestAborted;
        try
        {
            var owner = await access.OwnerAsync(context, context.Request.RouteValues["owner"] as string ?? string.Empty, cancellationToken);
            await handler(context, owner, cancellationToken);
        }
        catch (RulesApiException e)
        {
            await RulesApiJson.ErrorAsync(context, e);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (BadHttpRequestException)
        {
            // Kestrel's own answer (a body cut short, too large): its status stands.
            throw;
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            LogFailed(e, context.Request.Method, context.Request.Path.Value ?? string.Empty);
            await RulesApiJson.ErrorAsync(context, new RulesApiException(
                StatusCodes.Status500InternalServerError, "the forge failed to handle the request; its log says why"));
        }
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "Package rules API request {Method} {Path} failed")]
    private partial void LogFailed(Exception e, string method, string path);
}
