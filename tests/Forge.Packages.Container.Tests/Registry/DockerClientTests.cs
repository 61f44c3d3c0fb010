using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Forge.Packages.Container.Registry;
using Forge.Packages.Container.Tests.Registry.Support;
using Forge.Tooling;
using Forge.Tooling.Containers;
using Forge.Tooling.Oci;

namespace Forge.Packages.Container.Tests.Registry;

/// <summary>
/// Forge as the registry of the real docker and podman clients: a private dockerd (build/ensure-docker) that Debian's
/// docker client drives, and podman (build/ensure-podman) on private storage, against a Forge host on loopback. What the
/// registry holds afterwards is read back with skopeo, whatever the clients said.
/// </summary>
[Category("Registry")]
[NonParallelizable]
public sealed partial class DockerClientTests
{
    private const string Password = "correct horse battery staple";
    private const string BobsPassword = "bobs password";
    private static readonly SkopeoAccess Alice = RegistryWorld.As("alice", Password);
    private readonly Skopeo skopeo = new();
    private DockerDaemon? daemon;
    private string scratch = "";

    private DockerDaemon Daemon => daemon ?? throw new InvalidOperationException("The daemon did not start.");

    [OneTimeSetUp]
    public async Task StartDaemon() => daemon = await DockerDaemon.StartAsync(DockerClient.DebianProgram);

    [OneTimeTearDown]
    public async Task StopDaemon()
    {
        if (daemon is not null)
        {
            await daemon.DisposeAsync();
        }
    }

    [SetUp]
    public void CreateScratch()
    {
        scratch = Path.Combine(Path.GetTempPath(), $"forge-docker-e2e-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
    }

    [TearDown]
    public void DeleteScratch() => Directory.Delete(scratch, recursive: true);

    [Test]
    public async Task Docker_logs_in_with_a_password_pushes_a_single_platform_image_and_pulls_it_back_by_digest()
    {
        await using var registry = await StartWithAccountsAsync();
        var docker = Debian();
        await LoginAsync(docker, registry, "alice", Password);
        Assert.That(await SavedLoginAsync(docker, registry), Is.Not.Null, "the login is kept in the private DOCKER_CONFIG");

        var image = WriteImage(seed: 301, platforms: 1);
        var imageId = await LoadAsync(docker, image, OciPlatform.LinuxAmd64, $"{registry.Host}/alice/app:v1");
        var pushed = await RunAsync(docker, "push", $"{registry.Host}/alice/app:v1");
        var digest = DockerClient.ReportedDigest(pushed);

        var manifest = await InspectAsync(registry, "alice/app", "v1");
        Assert.That(OciLayout.Digest(manifest.Bytes), Is.EqualTo(digest), "the registry serves the manifest docker pushed, byte for byte");
        Assert.That((string?)manifest.Json["mediaType"], Is.EqualTo(ImageMediaTypes.DockerManifest));
        Assert.That((string?)manifest.Json["config"]?["digest"], Is.EqualTo(imageId), "its config is the local image's");

        await RemoveImagesAsync(docker, $"{registry.Host}/alice/app:v1");
        var pulled = await RunAsync(docker, "pull", $"{registry.Host}/alice/app:v1");
        Assert.That(DockerClient.ReportedDigest(pulled), Is.EqualTo(digest));
        Assert.That(await docker.ImageIdAsync($"{registry.Host}/alice/app:v1"), Is.EqualTo(imageId));
        Assert.That(await RepoDigestsAsync(docker, $"{registry.Host}/alice/app:v1"), Does.Contain($"{registry.Host}/alice/app@{digest}"));
    }

    [Test]
    public async Task Every_docker_client_on_this_machine_logs_in_and_pulls_the_platform_of_a_multi_platform_image()
    {
        await using var registry = await StartWithAccountsAsync();
        var image = WriteImage(seed: 311, platforms: 2);
        await PushWithSkopeoAsync(registry, image, "alice/multi");
        var amd64 = image.Image.Platforms.Single(p => p.Platform == OciPlatform.LinuxAmd64);

        var clients = DockerClient.OnThisMachine();
        Assert.That(clients, Does.Contain(DockerClient.DebianProgram));
        foreach (var program in clients)
        {
            var docker = new DockerClient(Daemon, program);
            var version = await docker.VersionAsync();
            await TestContext.Out.WriteLineAsync($"{program}: docker {version}");
            await LoginAsync(docker, registry, "alice", Password);
            var pulled = await RunAsync(docker, "pull", $"{registry.Host}/alice/multi:v1");
            Assert.That(DockerClient.ReportedDigest(pulled), Is.EqualTo(image.Image.Index.Digest), $"{program} ({version}) pulled the index");
            Assert.That(await docker.ImageIdAsync($"{registry.Host}/alice/multi:v1"), Is.EqualTo(amd64.Config.Digest), $"{program}: the linux/amd64 image");
            await RemoveImagesAsync(docker, $"{registry.Host}/alice/multi:v1");
        }
    }

    [Test]
    public async Task Docker_pushes_two_platform_images_and_their_manifest_list_which_pulls_back_as_the_list()
    {
        await using var registry = await StartWithAccountsAsync();
        var docker = Debian();
        await LoginAsync(docker, registry, "alice", Password);
        var image = WriteImage(seed: 321, platforms: 2);
        var repository = $"{registry.Host}/alice/multi";
        var pushedDigests = new Dictionary<string, string>();
        var imageIds = new Dictionary<string, string>();
        foreach (var platform in new[] { OciPlatform.LinuxAmd64, OciPlatform.LinuxArm64 })
        {
            imageIds[platform.Architecture] = await LoadAsync(docker, image, platform, $"{repository}:{platform.Architecture}");
            pushedDigests[platform.Architecture] = DockerClient.ReportedDigest(await RunAsync(docker, "push", $"{repository}:{platform.Architecture}"));
        }

        await RunAsync(docker, "manifest", "create", "--insecure", $"{repository}:v1", $"{repository}:amd64", $"{repository}:arm64");
        var listPush = await RunAsync(docker, "manifest", "push", "--insecure", $"{repository}:v1");
        var listDigest = SingleDigest().Match(listPush.Output).Value;
        Assert.That(listDigest, Is.Not.Empty, $"docker manifest push printed the list's digest: {listPush.Output}");

        var list = await InspectAsync(registry, "alice/multi", "v1");
        Assert.That(OciLayout.Digest(list.Bytes), Is.EqualTo(listDigest), "the registry serves the list docker pushed, byte for byte");
        Assert.That((string?)list.Json["mediaType"], Is.EqualTo(ImageMediaTypes.DockerList));
        var entries = list.Json["manifests"]!.AsArray()
            .ToDictionary(e => (string)e!["platform"]!["architecture"]!, e => (string)e!["digest"]!);
        Assert.That(entries, Is.EquivalentTo(pushedDigests), "one entry per platform, each the manifest docker pushed");
        foreach (var (architecture, digest) in pushedDigests)
        {
            var manifest = await InspectAsync(registry, "alice/multi", digest);
            Assert.That((string?)manifest.Json["config"]?["digest"], Is.EqualTo(imageIds[architecture]), architecture);
        }

        await RemoveImagesAsync(docker, $"{repository}:amd64", $"{repository}:arm64");
        var pulled = await RunAsync(docker, "pull", $"{repository}:v1");
        Assert.That(DockerClient.ReportedDigest(pulled), Is.EqualTo(listDigest), "docker pulled the list");
        Assert.That(await docker.ImageIdAsync($"{repository}:v1"), Is.EqualTo(imageIds["amd64"]), "and from it this machine's platform");
    }

    [Test]
    public async Task After_docker_logout_an_anonymous_pull_succeeds_when_anonymous_pulls_are_on()
    {
        await using var registry = await StartWithAccountsAsync((RegistrySettings.AnonymousPullKey, "true"));
        var (image, docker) = await PushedThenLoggedOutAsync(registry, seed: 331);

        var pulled = await RunAsync(docker, "pull", $"{registry.Host}/alice/app:v1");

        Assert.That(DockerClient.ReportedDigest(pulled), Is.EqualTo(image.Image.Index.Digest));
        Assert.That(await docker.ImageIdAsync($"{registry.Host}/alice/app:v1"), Is.EqualTo(image.Image.Platforms[0].Config.Digest));
    }

    [Test]
    public async Task After_docker_logout_an_anonymous_pull_is_refused_when_anonymous_pulls_are_off()
    {
        await using var registry = await StartWithAccountsAsync((RegistrySettings.AnonymousPullKey, "false"));
        var (image, docker) = await PushedThenLoggedOutAsync(registry, seed: 341);

        var pulled = await docker.RunAsync("pull", $"{registry.Host}/alice/app:v1");

        Assert.That(pulled.Succeeded, Is.False, pulled.Output);
        // With the Bearer challenge docker asks for an anonymous token, gets one that grants nothing, and says what it
        // says of every registry that refuses an anonymous pull.
        Assert.That(pulled.Errors, Does.Match("(?i)pull access denied.*may require 'docker login'"), "docker says why");
        Assert.That(await docker.ImageIdAsync($"{registry.Host}/alice/app:v1"), Is.Null, "nothing was pulled");
    }

    [Test]
    public async Task A_push_with_a_read_only_access_token_is_refused_and_writes_nothing()
    {
        await using var registry = await StartWithAccountsAsync();
        var added = await registry.RunForgeAsync("users", "tokens", "add", "alice", "--name", "ci", "--scope", "read:package", "--json");
        Assert.That(added.ExitCode, Is.Zero, added.Error);
        var token = (string?)JsonNode.Parse(added.Output)?["token"];
        Assert.That(token, Is.Not.Empty, "the command printed the token");
        var docker = Debian();
        await LoginAsync(docker, registry, "alice", token!);
        await LoadAsync(docker, WriteImage(seed: 351, platforms: 1), OciPlatform.LinuxAmd64, $"{registry.Host}/alice/readonly:v1");

        var pushed = await docker.RunAsync("push", $"{registry.Host}/alice/readonly:v1");

        Assert.That(pushed.Succeeded, Is.False, pushed.Output);
        Assert.That(pushed.Output + pushed.Errors, Does.Match("(?i)denied|unauthorized"));
        Assert.That(pushed.Output + pushed.Errors, Does.Not.Contain(token));
        await AssertHoldsNothingAsync(registry, "alice/readonly");
    }

    [Test]
    public async Task A_push_to_another_owners_repository_is_refused_and_writes_nothing()
    {
        await using var registry = await StartWithAccountsAsync();
        var docker = Debian();
        await LoginAsync(docker, registry, "bob", BobsPassword);
        await LoadAsync(docker, WriteImage(seed: 361, platforms: 1), OciPlatform.LinuxAmd64, $"{registry.Host}/alice/app:v1");

        var pushed = await docker.RunAsync("push", $"{registry.Host}/alice/app:v1");

        Assert.That(pushed.Succeeded, Is.False, pushed.Output);
        Assert.That(pushed.Output + pushed.Errors, Does.Contain("denied").IgnoreCase);
        await AssertHoldsNothingAsync(registry, "alice/app");
    }

    [Test]
    public async Task Podman_logs_in_with_a_password_and_keeps_the_login_in_its_own_auth_file()
    {
        await using var registry = await StartWithAccountsAsync();
        using var podman = new Podman();

        var wrong = await podman.LoginAsync(registry.Host, "alice", "not the password");
        Assert.That(wrong.Succeeded, Is.False, "a wrong password is refused");
        Assert.That(wrong.Output + wrong.Errors, Does.Not.Contain("not the password"));
        var login = await podman.LoginAsync(registry.Host, "alice", Password);
        Assert.That(login.Succeeded, Is.True, login.Errors);
        Assert.That(login.Output, Does.Contain("Login Succeeded"));

        var user = await podman.RunAsync(["login", "--get-login", registry.Host]);
        Assert.That(user.Output.Trim(), Is.EqualTo("alice"), user.Errors);
        var auth = JsonNode.Parse(await File.ReadAllTextAsync(podman.AuthFile))!;
        Assert.That(auth["auths"]?[registry.Host], Is.Not.Null);
    }

    [Test]
    public async Task Podman_search_lists_the_repositories_of_the_catalog_that_match()
    {
        await using var registry = await StartWithAccountsAsync();
        var image = WriteImage(seed: 371, platforms: 1);
        await PushWithSkopeoAsync(registry, image, "alice/app");
        await PushWithSkopeoAsync(registry, image, "alice/tools/lint");
        await PushWithSkopeoAsync(registry, image, "bob/app", RegistryWorld.As("bob", BobsPassword));
        using var podman = new Podman();
        var login = await podman.LoginAsync(registry.Host, "alice", Password);
        Assert.That(login.Succeeded, Is.True, login.Errors);

        var found = await podman.SearchAsync(registry.Host, "app");

        Assert.That(found.Succeeded, Is.True, found.Errors);
        var names = found.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.That(names, Is.EquivalentTo(new[] { $"{registry.Host}/alice/app", $"{registry.Host}/bob/app" }));
    }

    private DockerClient Debian() => new(Daemon, DockerClient.DebianProgram);

    private static async Task<RegistryWorld> StartWithAccountsAsync(params (string Key, string? Value)[] settings)
    {
        var registry = await RegistryWorld.StartAsync(settings);
        try
        {
            await registry.AddAccountAsync("alice", Password);
            await registry.AddAccountAsync("bob", BobsPassword);
            return registry;
        }
        catch
        {
            await registry.DisposeAsync();
            throw;
        }
    }

    /// <summary>An image of <paramref name="seed"/> that skopeo pushed as alice/app:v1, and a docker client that logged in as alice and out again.</summary>
    private async Task<((OciLayout Layout, OciImage Image) Image, DockerClient Docker)> PushedThenLoggedOutAsync(RegistryWorld registry, int seed)
    {
        var image = WriteImage(seed, platforms: 1);
        await PushWithSkopeoAsync(registry, image, "alice/app");
        var docker = Debian();
        await LoginAsync(docker, registry, "alice", Password);
        await RunAsync(docker, "logout", registry.Host);
        Assert.That(await SavedLoginAsync(docker, registry), Is.Null, "docker logout forgot the credentials");
        return (image, docker);
    }

    /// <summary>What the client's config.json keeps for the registry (<c>auths.&lt;host&gt;</c>), null when nothing.</summary>
    private static async Task<JsonNode?> SavedLoginAsync(DockerClient docker, RegistryWorld registry)
        => JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(docker.ConfigFolder, "config.json")))!["auths"]?[registry.Host];

    private static async Task LoginAsync(DockerClient docker, RegistryWorld registry, string user, string password)
    {
        var login = await docker.LoginAsync(registry.Host, user, password);
        Assert.That(login.Succeeded, Is.True, $"{docker} login: {login.Errors}");
        Assert.That(login.Output, Does.Contain("Login Succeeded"));
    }

    private static async Task<ChildProcessResult> RunAsync(DockerClient docker, params string[] arguments)
    {
        var result = await docker.RunAsync(arguments);
        Assert.That(result.Succeeded, Is.True, $"{docker} {string.Join(' ', arguments)}: {result.Errors}{result.Output}");
        return result;
    }

    private static async Task RemoveImagesAsync(DockerClient docker, params string[] images)
    {
        await RunAsync(docker, ["image", "rm", "--force", .. images]);
        foreach (var image in images)
        {
            Assert.That(await docker.ImageIdAsync(image), Is.Null, $"{image} is gone from the daemon");
        }
    }

    private static async Task<IReadOnlyList<string>> RepoDigestsAsync(DockerClient docker, string image)
    {
        var inspected = await RunAsync(docker, "image", "inspect", "--format", "{{json .RepoDigests}}", image);
        return JsonNode.Parse(inspected.Output)!.AsArray().Select(d => (string)d!).ToList();
    }

    private (OciLayout Layout, OciImage Image) WriteImage(int seed, int platforms)
    {
        var layout = new OciLayout(Path.Combine(scratch, $"image-{seed}"));
        return (layout, layout.WriteImage("v1", seed, platforms));
    }

    /// <summary>
    /// Loads <paramref name="platform"/>'s image of <paramref name="image"/> into the daemon as <paramref name="reference"/>
    /// (skopeo writes it as a docker-archive, which <c>docker load</c> reads); its image ID, the config's digest.
    /// </summary>
    private async Task<string> LoadAsync(DockerClient docker, (OciLayout Layout, OciImage Image) image, OciPlatform platform, string reference)
    {
        var archive = Path.Combine(scratch, $"{Guid.NewGuid():N}.tar");
        var copied = await skopeo.RunAsync(["--override-os", platform.Os, "--override-arch", platform.Architecture, "copy", image.Layout.Reference(image.Image.Tag), $"docker-archive:{archive}:{reference}"]);
        Assert.That(copied.Succeeded, Is.True, copied.ToString());
        await RunAsync(docker, "load", "--input", archive);
        var id = await docker.ImageIdAsync(reference);
        Assert.That(id, Is.EqualTo(image.Image.Platforms.Single(p => p.Platform == platform).Config.Digest), "docker loaded the platform's config as it is");
        return id!;
    }

    private async Task PushWithSkopeoAsync(RegistryWorld registry, (OciLayout Layout, OciImage Image) image, string repository, SkopeoAccess? account = null)
    {
        var copied = await skopeo.CopyAllAsync(image.Layout.Reference(image.Image.Tag), registry.Image(repository, "v1"), to: account ?? Alice);
        Assert.That(copied.Succeeded, Is.True, copied.ToString());
    }

    private async Task<(byte[] Bytes, JsonNode Json)> InspectAsync(RegistryWorld registry, string repository, string reference)
    {
        var inspected = await skopeo.InspectRawAsync(registry.Image(repository, reference), Alice);
        Assert.That(inspected.Succeeded, Is.True, inspected.ToString());
        var bytes = System.Text.Encoding.UTF8.GetBytes(inspected.Output);
        return (bytes, JsonNode.Parse(bytes)!);
    }

    private async Task AssertHoldsNothingAsync(RegistryWorld registry, string repository)
    {
        var inspected = await skopeo.InspectRawAsync(registry.Image(repository, "v1"), Alice);
        Assert.That(inspected.Succeeded, Is.False, $"{repository}:v1 is not in the registry");
        Assert.That(inspected.Errors, Does.Contain("manifest unknown").IgnoreCase.Or.Contain("name unknown").IgnoreCase);
        Assert.That(await registry.World.SnapshotAsync(), Is.EqualTo("0 0 0 0 0 0"), "no package, version, file, blob, property or upload");
    }

    [GeneratedRegex(@"sha256:[0-9a-f]{64}", RegexOptions.CultureInvariant)]
    private static partial Regex SingleDigest();
}
