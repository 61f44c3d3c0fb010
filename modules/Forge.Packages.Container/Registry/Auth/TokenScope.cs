namespace Forge.Packages.Container.Registry.Auth;

/// <summary>
/// One entry of a token's <c>access</c> claim, and one <c>scope</c> of a token request (the Docker token
/// specification's <c>type:name:actions</c>): <c>repository:alice/app:pull,push</c> or <c>registry:catalog:*</c>.
/// </summary>
internal sealed record TokenScope(string Type, string Name, IReadOnlyList<string> Actions)
{
    public const string RepositoryType = "repository";
    public const string RegistryType = "registry";
    public const string CatalogName = "catalog";
    public const string Pull = "pull";
    public const string Push = "push";
    public const string Delete = "delete";
    public const string All = "*";

    private const int MaxScopeLength = 512;

    /// <summary>The scope of listing the catalog.</summary>
    public static TokenScope Catalog { get; } = new(RegistryType, CatalogName, [All]);

    public static TokenScope Repository(RepositoryName name, string action) => new(RepositoryType, name.Full, [action]);

    /// <summary>Whether this scope allows <paramref name="action"/> (<c>*</c> allows every action).</summary>
    public bool Allows(string action) => Actions.Contains(All) || Actions.Contains(action);

    /// <summary>The specification's text, <c>type:name:action,action</c>.</summary>
    public override string ToString() => $"{Type}:{Name}:{string.Join(',', Actions)}";

    /// <summary>
    /// The scopes of a token request's <c>scope</c> parameters (each may hold several, separated by spaces). A scope
    /// that is not <c>repository:&lt;name&gt;:&lt;actions&gt;</c> or <c>registry:catalog:*</c> is ScopeInvalid.
    /// </summary>
    public static List<TokenScope> ParseAll(IEnumerable<string?> parameters)
    {
        var scopes = new List<TokenScope>();
        foreach (var text in parameters.SelectMany(p => (p ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries)))
        {
            scopes.Add(Parse(text));
        }

        return scopes;
    }

    public static TokenScope Parse(string text)
    {
        var shown = text.Length > 80 ? text[..80] + "…" : text;
        if (text.Length > MaxScopeLength)
        {
            throw Invalid($"scope '{shown}' is longer than {MaxScopeLength} characters");
        }

        // type:name:actions; the name has no colon (repository names have none), the actions are the last part.
        var first = text.IndexOf(':', StringComparison.Ordinal);
        var last = text.LastIndexOf(':');
        if (first <= 0 || last == first)
        {
            throw Invalid($"scope '{shown}' is not type:name:actions, e.g. repository:alice/app:pull,push or registry:catalog:*");
        }

        var type = text[..first];
        var name = text[(first + 1)..last];
        var actions = text[(last + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (actions.Length == 0)
        {
            throw Invalid($"scope '{shown}' names no action: use pull, push, delete or *");
        }

        if (type == RegistryType)
        {
            return name == CatalogName && actions is [All]
                ? Catalog
                : throw Invalid($"scope '{shown}': the only registry scope is registry:catalog:*");
        }

        if (type != RepositoryType)
        {
            throw Invalid($"scope '{shown}': the type must be repository or registry");
        }

        if (actions.FirstOrDefault(a => a is not (Pull or Push or Delete or All)) is { } unknown)
        {
            throw Invalid($"scope '{shown}': '{unknown}' is not an action: use pull, push, delete or *");
        }

        RepositoryName repository;
        try
        {
            repository = RegistryReferences.ParseName(name);
        }
        catch (RegistryFailureException e)
        {
            throw Invalid($"scope '{shown}': {e.Message}");
        }

        return new TokenScope(RepositoryType, repository.Full, [.. actions.Distinct(StringComparer.Ordinal)]);
    }

    private static RegistryFailureException Invalid(string message) => new(RegistryFailure.ScopeInvalid, message);
}
