using System.Net;
using Forge.Accounts;
using Forge.Packages.Container.Tests.Registry.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Moq;
using static Forge.Packages.Container.Tests.Registry.Support.RegistryCalls;
using static Forge.Packages.Container.Tests.Registry.Support.RegistryTokenCalls;

namespace Forge.Packages.Container.Tests.Registry;

/// <summary>
/// Credentials of access tokens (an account directory that knows them, mocked: the Accounts module's tokens are
/// another branch's): a read-only one never pushes, a revoked one's bearer tokens stop at once, and a throttled
/// sign-in is 429.
/// </summary>
[Category("Registry")]
public sealed class RegistryAccessTokenCredentialTests
{
    private const long ReadTokenId = 7;
    private const long WriteTokenId = 8;
    private const string ReadSecret = "read-token-9f2c";
    private const string WriteSecret = "write-token-4b1e";
    private const string ThrottledSecret = "throttled-0000";

    private bool writeTokenValid = true;
    private RegistryWorld registry = null!;
    private HttpClient alice = null!;

    [SetUp]
    public async Task Start()
    {
        writeTokenValid = true;
        registry = await RegistryWorld.StartAsync(s => s.AddSingleton<IAccountDirectory>(sp =>
        {
            var real = ActivatorUtilities.CreateInstance<AccountDirectory>(sp);
            var directory = new Mock<IAccountDirectory>(MockBehavior.Strict);
            directory.Setup(d => d.FindAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()))
                .Returns((string name, CancellationToken token) => real.FindAsync(name, token));
            directory.Setup(d => d.VerifyAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
                .Returns(async (string name, string secret, string address, CancellationToken token) =>
                {
                    var account = await real.FindAsync(name, token);
                    return (account, secret) switch
                    {
                        (not null, ReadSecret) => CredentialVerification.Verified(new VerifiedCredential(account, PackageScope.Read, ReadTokenId)),
                        (not null, WriteSecret) when writeTokenValid => CredentialVerification.Verified(new VerifiedCredential(account, PackageScope.Write, WriteTokenId)),
                        (_, ThrottledSecret) => CredentialVerification.Throttled(TimeSpan.FromSeconds(42)),
                        _ => await real.VerifyAsync(name, secret, address, token),
                    };
                });
            directory.Setup(d => d.IsAccessTokenValidAsync(It.IsAny<long>(), It.IsAny<CancellationToken>()))
                .Returns((long id, CancellationToken _) => Task.FromResult(id == ReadTokenId || (id == WriteTokenId && writeTokenValid)));
            return directory.Object;
        }));
        await registry.AddAccountAsync("alice", "pw");
        alice = registry.Client("alice", "pw");
    }

    [TearDown]
    public async Task Stop()
    {
        alice.Dispose();
        await registry.DisposeAsync();
    }

    [Test]
    public async Task A_read_package_access_token_never_gets_push_and_cannot_push_with_Basic_either()
    {
        using var reader = registry.Client("alice", ReadSecret);
        var image = Image(seed: 1);

        var token = await reader.TokenAsync("repository:alice/app:pull,push,delete");
        using var pushed = await reader.PutManifestAsync("alice/app", "v1", image.Manifest, image.MediaType);

        Assert.That(string.Join(' ', Access(token)), Is.EqualTo("repository:alice/app:pull"));
        Assert.That(new JsonWebToken(token).GetPayloadValue<long>("forge_access_token_id"), Is.EqualTo(ReadTokenId));
        await AssertErrorAsync(pushed, HttpStatusCode.Forbidden, "DENIED");
        Assert.That(await pushed.Content.ReadAsStringAsync(), Does.Contain("may only read packages"));
    }

    [Test]
    public async Task A_write_package_access_token_pushes_until_it_is_revoked_and_then_its_bearer_token_is_refused_at_once()
    {
        using var writer = registry.Client("alice", WriteSecret);
        using var bearer = registry.BearerClient(await writer.TokenAsync("repository:alice/app:pull,push"));
        await bearer.PushOkAsync("alice/app", Image(seed: 1), "v1");

        writeTokenValid = false;
        using var pulled = await bearer.GetAsync("/v2/alice/app/manifests/v1");

        await AssertErrorAsync(pulled, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.That(Header(pulled, "WWW-Authenticate"), Does.EndWith(",scope=\"repository:alice/app:pull\",error=\"invalid_token\""));
        Assert.That(await pulled.Content.ReadAsStringAsync(), Does.Contain("revoked or has expired"));
    }

    [Test]
    public async Task A_throttled_sign_in_at_the_token_endpoint_is_429_with_Retry_After()
    {
        using var throttled = registry.Client("alice", ThrottledSecret);

        using var response = await throttled.RequestTokenAsync("repository:alice/app:pull");

        await AssertErrorAsync(response, HttpStatusCode.TooManyRequests, "TOOMANYREQUESTS");
        Assert.That(Header(response, "Retry-After"), Is.EqualTo("42"));
    }
}
