using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Forge.Tooling;
using Forge.Tooling.Oci;
using Npgsql;
using NpgsqlTypes;

namespace Forge.Bench;

/// <summary>What the generator loaded, and how long each step took.</summary>
public sealed record GenerationSummary
{
    public long Packages { get; init; }

    /// <summary>Tags, <c>latest</c> among them (each version named by a tag: an index or a single-platform image).</summary>
    public long Tags { get; init; }

    public long Versions { get; init; }
    public long DigestVersions { get; init; }
    public long Files { get; init; }
    public long Properties { get; init; }
    public long Blobs { get; init; }

    /// <summary>Digest versions no tag references any more, created before the cutoff: what every contender deletes.</summary>
    public long DanglingOld { get; init; }

    /// <summary>Digest versions no tag references any more, but younger than the cutoff: kept by everyone.</summary>
    public long DanglingYoung { get; init; }

    public long SinglePlatformTags { get; init; }
    public long NowUnix { get; init; }
    public double MigrateSeconds { get; init; }
    public double LoadSeconds { get; init; }
    public double IndexSeconds { get; init; }
    public double VacuumSeconds { get; init; }
    public double TotalSeconds => MigrateSeconds + LoadSeconds + IndexSeconds + VacuumSeconds;
}

/// <summary>
/// Loads a container registry shaped like a real one into an empty database that <c>forge migrate</c>
/// made: one package per image repository, about 50 versions each, multi-platform tags whose platform
/// manifests were pushed by digest first, re-pushed tags whose old platform manifests dangle, a few
/// single-platform tags, files and properties as the registry writes them and layers shared between
/// versions. Rows go in through binary COPY, one connection per table, with the secondary indexes and
/// foreign keys dropped meanwhile and rebuilt afterwards; then VACUUM ANALYZE. No content files: the
/// container cleanup never reads the content store.
/// <para>
/// The data avoids every case where the reference algorithm is wrong (docs/cleanup.md): compact JSON only,
/// only tags are indexes, every index has a larger id than the manifests it lists (as a real push
/// makes them: children first; a re-pushed tag is a new row), digests are random and so unique across
/// packages, everything lower case. Every created_unix is at least 12 hours away from now - 24h.
/// </para>
/// </summary>
public sealed class RegistryGenerator
{
    public const int VersionsPerPackage = 50;
    private const int GlobalBaseLayers = 48;
    private const int PackageLayerPool = 12;
    private const double RepushShare = 0.22;
    private const double SinglePlatformShare = 0.04;
    private const double YoungPushShare = 0.2;
    private static readonly string[] Tables = ["package", "package_version", "package_file", "package_blob", "package_property"];
    private static readonly string[] Platforms = ["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/ppc64le"];
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Random random;
    private readonly long now;
    private readonly byte[] hashBytes = new byte[132];
    private readonly ArrayBufferWriter<byte> jsonBuffer = new(4096);
    private readonly List<Blob> globalLayers = [];
    private Importers importers = null!;
    private long nextVersionId = 1, nextFileId = 1, nextBlobId = 1, nextPropertyId = 1;
    private long packages, tags, versions, digestVersions, files, properties, blobs, danglingOld, danglingYoung, singleTags;

    private RegistryGenerator(int seed, long now)
    {
        random = new Random(seed);
        this.now = now;
    }

    /// <summary>Migrates the (empty, existing) database with <paramref name="forgeDll"/> and loads the registry.</summary>
    public static Task<GenerationSummary> GenerateAsync(string connectionString, int versionCount, int seed, string forgeDll, TextWriter log)
        => GenerateAsync(connectionString, seed, forgeDll, log, generator => generator.Load(connectionString, versionCount));

    /// <summary>
    /// Migrates the database and loads one image repository of owner 1 (package 1, <c>service-1</c>) with exactly
    /// <paramref name="tagCount"/> tags, pushed as the registry's are above: multi-platform indexes over platform
    /// manifests pushed by digest, re-pushes whose old platform manifests dangle, a few single-platform tags.
    /// </summary>
    public static Task<GenerationSummary> GenerateOneRepositoryAsync(string connectionString, int tagCount, int seed, string forgeDll, TextWriter log)
        => GenerateAsync(connectionString, seed, forgeDll, log, generator => generator.LoadOneRepository(connectionString, tagCount));

    private static async Task<GenerationSummary> GenerateAsync(string connectionString, int seed, string forgeDll, TextWriter log, Action<RegistryGenerator> load)
    {
        var clock = Stopwatch.StartNew();
        var migrate = await ChildProcess.RunAsync(ChildProcessCommand.Forge(forgeDll, BenchPipeline.ForgeEnvironment(connectionString), ["migrate"]));
        if (migrate.ExitCode != 0)
        {
            throw new BenchException($"forge migrate failed with exit code {migrate.ExitCode}: {migrate.Errors.Trim()}");
        }

        var migrateSeconds = clock.Elapsed.TotalSeconds;
        await using var admin = new NpgsqlConnection(connectionString);
        await admin.OpenAsync();
        var rebuild = await DropSecondaryIndexesAsync(admin);

        clock.Restart();
        var generator = new RegistryGenerator(seed, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        load(generator);
        var loadSeconds = clock.Elapsed.TotalSeconds;
        log.WriteLine($"  loaded {generator.versions:N0} versions, {generator.files:N0} files, {generator.properties:N0} properties, {generator.blobs:N0} blobs in {loadSeconds:0.0} s");

        clock.Restart();
        await RebuildAsync(connectionString, rebuild);

        foreach (var table in Tables)
        {
            await BenchServer.ExecuteAsync(admin, $"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)");
        }

        var indexSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        await BenchServer.ExecuteAsync(admin, "VACUUM ANALYZE");
        return new GenerationSummary
        {
            Packages = generator.packages,
            Tags = generator.tags,
            Versions = generator.versions,
            DigestVersions = generator.digestVersions,
            Files = generator.files,
            Properties = generator.properties,
            Blobs = generator.blobs,
            DanglingOld = generator.danglingOld,
            DanglingYoung = generator.danglingYoung,
            SinglePlatformTags = generator.singleTags,
            NowUnix = generator.now,
            MigrateSeconds = migrateSeconds,
            LoadSeconds = loadSeconds,
            IndexSeconds = indexSeconds,
            VacuumSeconds = clock.Elapsed.TotalSeconds,
        };
    }

    /// <summary>The indexes on two connections at once (one per core here), then the foreign keys.</summary>
    private static async Task RebuildAsync(string connectionString, List<string> statements)
    {
        // Largest tables first, so that the two connections finish together.
        string[] bySize = ["package_property", "package_file", "package_blob", "package_version", "package"];
        var indexes = new Queue<string>(statements
            .Where(s => !s.StartsWith("ALTER TABLE", StringComparison.Ordinal))
            .OrderBy(s => Array.FindIndex(bySize, t => s.Contains($" ON public.{t} ", StringComparison.Ordinal)) is var i and >= 0 ? i : bySize.Length));
        async Task WorkAsync(IEnumerable<string> first)
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await BenchServer.ExecuteAsync(connection, "SET maintenance_work_mem = '512MB'");
            foreach (var statement in first)
            {
                await BenchServer.ExecuteAsync(connection, statement);
            }

            while (true)
            {
                string? next;
                lock (indexes)
                {
                    next = indexes.Count > 0 ? indexes.Dequeue() : null;
                }

                if (next is null)
                {
                    return;
                }

                await BenchServer.ExecuteAsync(connection, next);
            }
        }

        await Task.WhenAll(WorkAsync([]), WorkAsync([]));
        await WorkAsync(statements.Where(s => s.StartsWith("ALTER TABLE", StringComparison.Ordinal)));
    }

    /// <summary>
    /// Drops the indexes that back no constraint and the foreign keys of the loaded tables, so that COPY
    /// does not maintain them row by row; returns the statements that make them again as they were.
    /// </summary>
    private static async Task<List<string>> DropSecondaryIndexesAsync(NpgsqlConnection connection)
    {
        var rebuild = new List<string>();
        var drop = new List<string>();
        await using (var indexes = new NpgsqlCommand(
            """
            SELECT format('DROP INDEX %I.%I', i.schemaname, i.indexname), i.indexdef
            FROM pg_indexes i
            WHERE i.schemaname = 'public' AND i.tablename = ANY($1)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass)
            """, connection))
        {
            indexes.Parameters.AddWithValue(Tables);
            await using var reader = await indexes.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                drop.Add(reader.GetString(0));
                rebuild.Add(reader.GetString(1));
            }
        }

        await using (var keys = new NpgsqlCommand(
            """
            SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),
                   format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid))
            FROM pg_constraint c
            WHERE c.contype = 'f' AND (c.conrelid::regclass::text = ANY($1) OR c.confrelid::regclass::text = ANY($1))
            """, connection))
        {
            keys.Parameters.AddWithValue(Tables.Concat(Tables.Select(t => "public." + t)).ToArray());
            await using var reader = await keys.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                drop.Add(reader.GetString(0));
                rebuild.Add(reader.GetString(1));
            }
        }

        foreach (var statement in drop)
        {
            await BenchServer.ExecuteAsync(connection, statement);
        }

        return rebuild;
    }

    private void Load(string connectionString, int versionCount)
    {
        using var importers = new Importers(connectionString);
        this.importers = importers;
        WriteGlobalLayers();
        var packageCount = Math.Max(1, versionCount / VersionsPerPackage);
        for (var p = 0; p < packageCount; p++)
        {
            var budget = versionCount / packageCount + (p < versionCount % packageCount ? 1 : 0);
            WritePackage(p + 1, budget, tagCount: null);
        }

        importers.Complete();
    }

    private void LoadOneRepository(string connectionString, int tagCount)
    {
        using var importers = new Importers(connectionString);
        this.importers = importers;
        WriteGlobalLayers();
        WritePackage(1, int.MaxValue, tagCount);
        importers.Complete();
    }

    /// <summary>The base layers every image may share.</summary>
    private void WriteGlobalLayers()
    {
        for (var i = 0; i < GlobalBaseLayers; i++)
        {
            globalLayers.Add(WriteBlob(LayerSize(), OldTime()));
        }
    }

    /// <summary>A package of <paramref name="budget"/> versions, or of <paramref name="tagCount"/> tags when given.</summary>
    private void WritePackage(long packageId, int budget, int? tagCount)
    {
        packages++;
        var owner = 1 + ((packageId - 1) / 25);
        var name = $"service-{packageId}";
        var package = importers.Package;
        package.StartRow();
        package.Write(packageId, NpgsqlDbType.Bigint);
        package.Write(owner, NpgsqlDbType.Bigint);
        package.Write(0L, NpgsqlDbType.Bigint);
        package.Write("container", NpgsqlDbType.Varchar);
        package.Write(name, NpgsqlDbType.Varchar);
        package.Write(name, NpgsqlDbType.Varchar);
        package.Write(false, NpgsqlDbType.Boolean);
        package.Write(false, NpgsqlDbType.Boolean);
        WriteProperty(2, packageId, "container.repository", $"org{owner}/{name}");

        var pushes = PlanPushes(budget, tagCount);
        var times = PushTimes(pushes.Count);
        var pool = new List<Blob>(PackageLayerPool);
        for (var i = 0; i < PackageLayerPool; i++)
        {
            pool.Add(WriteBlob(LayerSize(), times[0]));
        }

        var image = new ImageContext(packageId, $"org{owner}/{name}", pool);
        for (var i = 0; i < pushes.Count; i++)
        {
            WritePush(image, pushes[i], times[i]);
        }
    }

    /// <summary>
    /// Pushes in order: new multi-platform tags, re-pushes of existing ones (their old children dangle), single-platform
    /// tags; <paramref name="budget"/> versions in all, or until there are <paramref name="tagCount"/> tags when given.
    /// </summary>
    private List<Push> PlanPushes(int budget, int? tagCount)
    {
        var pushes = new List<Push>();
        var current = new Dictionary<string, Push>();
        var tagNumber = 0;
        var count = 0;
        while (tagCount is { } wanted ? tagNumber < wanted : count < budget)
        {
            var remaining = budget - count;
            if (remaining < 3 || random.NextDouble() < SinglePlatformShare)
            {
                pushes.Add(new Push(NextTag(ref tagNumber), nextVersionId++, []));
                count++;
                continue;
            }

            var platforms = Math.Min(random.Next(2, 5), remaining - 1);
            var children = new long[platforms];
            for (var i = 0; i < platforms; i++)
            {
                children[i] = nextVersionId++;
            }

            string tag;
            if (current.Count > 0 && random.NextDouble() < RepushShare)
            {
                // A pipeline pushing the tag it just pushed again, `latest` moving on, or any older tag rebuilt.
                var pick = random.NextDouble();
                tag = pick < 0.4 ? pushes.Last(p => p.Children.Length > 0).Tag
                    : pick < 0.7 && current.ContainsKey("latest") ? "latest"
                    : current.Keys.ElementAt(random.Next(current.Count));
                current[tag].Superseded = true;
                count += platforms;
            }
            else
            {
                tag = NextTag(ref tagNumber);
                count += platforms + 1;
            }

            var push = new Push(tag, nextVersionId++, children);
            current[tag] = push;
            pushes.Add(push);
        }

        return pushes;
    }

    private static string NextTag(ref int number)
    {
        var n = number++;
        return n == 0 ? "latest" : $"v{1 + (n / 20)}.{n / 5 % 4}.{n % 5}";
    }

    /// <summary>Push times in ascending order: most 2 to 30 days old, some 2 to 12 hours old; never within 12 hours of now - 24h.</summary>
    private long[] PushTimes(int count)
    {
        var times = new long[count];
        for (var i = 0; i < count; i++)
        {
            times[i] = random.NextDouble() < YoungPushShare ? YoungTime() : OldTime();
        }

        Array.Sort(times);
        return times;
    }

    private long OldTime() => now - (2 * 86400) - random.NextInt64(28 * 86400);

    private long YoungTime() => now - (2 * 3600) - random.NextInt64(10 * 3600);

    private void WritePush(ImageContext image, Push push, long time)
    {
        if (push.Children.Length == 0)
        {
            tags++;
            singleTags++;
            WriteImageManifest(image, push.TagVersionId, push.Tag, Platforms[0], tagged: true, time);
            return;
        }

        var entries = new List<(string Platform, string Digest, long Size)>(push.Children.Length);
        for (var i = 0; i < push.Children.Length; i++)
        {
            var childTime = time - push.Children.Length + i;
            var (digest, size) = WriteImageManifest(image, push.Children[i], null, Platforms[i], tagged: false, childTime);
            entries.Add((Platforms[i], digest, size));
            digestVersions++;
            if (push.Superseded)
            {
                if (childTime < now - 86400)
                {
                    danglingOld++;
                }
                else
                {
                    danglingYoung++;
                }
            }
        }

        if (push.Superseded)
        {
            return; // the tag was pushed again: this index row was replaced by a newer one
        }

        tags++;
        WriteVersion(image.PackageId, push.TagVersionId, push.Tag, time, IndexMetadata(entries));
        var indexBlob = WriteBlob(300 + (entries.Count * 180), time);
        WriteFile(push.TagVersionId, indexBlob, "manifest.json", isLead: true, ImageMediaTypes.OciIndex, time);
        WriteProperty(0, push.TagVersionId, "container.manifest.tagged", string.Empty);
        foreach (var entry in entries)
        {
            WriteProperty(0, push.TagVersionId, "container.manifest.reference", entry.Digest);
        }
    }

    /// <summary>An image manifest (by digest when <paramref name="tag"/> is null): config, 1 to 6 layers, manifest.json.</summary>
    private (string Digest, long Size) WriteImageManifest(ImageContext image, long versionId, string? tag, string platform, bool tagged, long time)
    {
        var manifest = WriteBlob(400 + random.Next(1600), time);
        var config = WriteBlob(1000 + random.Next(7000), time);
        var digest = "sha256:" + manifest.Sha256;
        var layerCount = random.Next(1, 7);
        var layers = new List<Blob>(layerCount);
        if (random.NextDouble() < 0.7)
        {
            layers.Add(globalLayers[random.Next(globalLayers.Count)]);
        }

        while (layers.Count < layerCount)
        {
            var layer = image.Pool[random.Next(image.Pool.Count)];
            if (!layers.Contains(layer))
            {
                layers.Add(layer);
            }
        }

        WriteVersion(image.PackageId, versionId, tag ?? digest, time, PlatformMetadata(image, platform, tagged, time));
        if (tag is not null)
        {
            WriteProperty(0, versionId, "container.manifest.tagged", string.Empty);
        }

        WriteFile(versionId, config, "sha256_" + config.Sha256, isLead: false, ImageMediaTypes.OciConfig, time);
        foreach (var layer in layers)
        {
            WriteFile(versionId, layer, "sha256_" + layer.Sha256, isLead: false, ImageMediaTypes.OciLayer, time);
        }

        WriteFile(versionId, manifest, "manifest.json", isLead: true, ImageMediaTypes.OciManifest, time);
        return (digest, manifest.Size + config.Size + layers.Sum(l => l.Size));
    }

    private void WriteVersion(long packageId, long id, string version, long created, string metadata)
    {
        versions++;
        var row = importers.Version;
        row.StartRow();
        row.Write(id, NpgsqlDbType.Bigint);
        row.Write(packageId, NpgsqlDbType.Bigint);
        row.Write(1L, NpgsqlDbType.Bigint);
        row.Write(version, NpgsqlDbType.Varchar);
        row.Write(version, NpgsqlDbType.Varchar);
        row.Write(created, NpgsqlDbType.Bigint);
        row.Write(false, NpgsqlDbType.Boolean);
        row.Write(metadata, NpgsqlDbType.Text);
        row.Write(0L, NpgsqlDbType.Bigint);
    }

    private void WriteFile(long versionId, Blob blob, string name, bool isLead, string mediaType, long created)
    {
        files++;
        var id = nextFileId++;
        var row = importers.File;
        row.StartRow();
        row.Write(id, NpgsqlDbType.Bigint);
        row.Write(versionId, NpgsqlDbType.Bigint);
        row.Write(blob.Id, NpgsqlDbType.Bigint);
        row.Write(name, NpgsqlDbType.Varchar);
        row.Write(name, NpgsqlDbType.Varchar);
        row.Write(string.Empty, NpgsqlDbType.Varchar);
        row.Write(isLead, NpgsqlDbType.Boolean);
        row.Write(created, NpgsqlDbType.Bigint);
        WriteProperty(1, id, "container.digest", "sha256:" + blob.Sha256);
        WriteProperty(1, id, "container.mediatype", mediaType);
    }

    private void WriteProperty(long refType, long refId, string name, string value)
    {
        properties++;
        var row = importers.Property;
        row.StartRow();
        row.Write(nextPropertyId++, NpgsqlDbType.Bigint);
        row.Write(refType, NpgsqlDbType.Bigint);
        row.Write(refId, NpgsqlDbType.Bigint);
        row.Write(name, NpgsqlDbType.Varchar);
        row.Write(value, NpgsqlDbType.Text);
    }

    private Blob WriteBlob(long size, long created)
    {
        blobs++;
        random.NextBytes(hashBytes);
        var hex = Convert.ToHexStringLower(hashBytes);
        var blob = new Blob(nextBlobId++, size, hex.Substring(72, 64));
        var row = importers.Blob;
        row.StartRow();
        row.Write(blob.Id, NpgsqlDbType.Bigint);
        row.Write(size, NpgsqlDbType.Bigint);
        row.Write(hex[..32], NpgsqlDbType.Char);
        row.Write(hex.Substring(32, 40), NpgsqlDbType.Char);
        row.Write(blob.Sha256, NpgsqlDbType.Char);
        row.Write(hex.Substring(136, 128), NpgsqlDbType.Char);
        row.Write(created, NpgsqlDbType.Bigint);
        return blob;
    }

    /// <summary>Layers from a few kilobytes to tens of megabytes, most in between.</summary>
    private long LayerSize() => (long)Math.Exp(8 + (random.NextDouble() * 10));

    private string IndexMetadata(List<(string Platform, string Digest, long Size)> entries)
    {
        jsonBuffer.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(jsonBuffer, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("type", "oci");
            json.WriteBoolean("is_tagged", true);
            json.WriteStartArray("manifests");
            foreach (var (platform, digest, size) in entries)
            {
                json.WriteStartObject();
                json.WriteString("platform", platform);
                json.WriteString("digest", digest);
                json.WriteNumber("size", size);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(jsonBuffer.WrittenSpan);
    }

    private string PlatformMetadata(ImageContext image, string platform, bool tagged, long created)
    {
        jsonBuffer.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(jsonBuffer, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("type", "oci");
            json.WriteBoolean("is_tagged", tagged);
            json.WriteString("platform", platform);
            json.WriteStartObject("labels");
            var labels = random.Next(5, 11);
            for (var i = 0; i < labels; i++)
            {
                var (key, value) = Label(i, image, created);
                json.WriteString(key, value);
            }

            json.WriteEndObject();
            json.WriteStartArray("layer_creation");
            json.WriteStringValue($"/bin/sh -c #(nop) ADD file:{RandomHex(32)} in / ");
            var history = random.Next(5, 21);
            for (var i = 1; i < history; i++)
            {
                json.WriteStringValue(i == history - 1 ? "ENTRYPOINT [\"/app/server\"]" : History[random.Next(History.Length)].Replace("{arch}", platform[(platform.IndexOf('/', StringComparison.Ordinal) + 1)..], StringComparison.Ordinal));
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(jsonBuffer.WrittenSpan);
    }

    private (string Key, string Value) Label(int index, ImageContext image, long created) => index switch
    {
        0 => ("org.opencontainers.image.source", $"https://git.example.com/{image.Repository}"),
        1 => ("org.opencontainers.image.revision", RandomHex(20)),
        2 => ("org.opencontainers.image.created", DateTimeOffset.FromUnixTimeSeconds(created).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)),
        3 => ("org.opencontainers.image.title", image.Repository[(image.Repository.IndexOf('/', StringComparison.Ordinal) + 1)..]),
        4 => ("org.opencontainers.image.licenses", "Apache-2.0"),
        5 => ("org.opencontainers.image.vendor", "Example Corp"),
        6 => ("org.opencontainers.image.version", $"1.{random.Next(40)}.{random.Next(10)}"),
        7 => ("maintainer", "platform-team@example.com"),
        8 => ("org.opencontainers.image.description", "Internal service image built by the CI pipeline"),
        _ => ("com.example.ci.pipeline", random.Next(100000, 999999).ToString(System.Globalization.CultureInfo.InvariantCulture)),
    };

    private string RandomHex(int bytes)
    {
        random.NextBytes(hashBytes.AsSpan(0, bytes));
        return Convert.ToHexStringLower(hashBytes, 0, bytes);
    }

    private static readonly string[] History =
    [
        "/bin/sh -c #(nop)  CMD [\"bash\"]",
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends ca-certificates curl tzdata && rm -rf /var/lib/apt/lists/* # buildkit",
        "RUN /bin/sh -c groupadd -r app && useradd -r -g app -d /app app # buildkit",
        "WORKDIR /app",
        "COPY go.mod go.sum ./ # buildkit",
        "RUN /bin/sh -c go mod download # buildkit",
        "COPY . . # buildkit",
        "RUN |1 TARGETARCH={arch} /bin/sh -c CGO_ENABLED=0 GOARCH={arch} go build -trimpath -ldflags=\"-s -w\" -o /out/server ./cmd/server # buildkit",
        "COPY /out/server /app/server # buildkit",
        "ARG TARGETARCH={arch}",
        "ENV LANG=C.UTF-8 LC_ALL=C.UTF-8",
        "RUN /bin/sh -c pip install --no-cache-dir -r requirements.txt # buildkit",
        "RUN /bin/sh -c npm ci --omit=dev && npm cache clean --force # buildkit",
        "EXPOSE map[8080/tcp:{}]",
        "USER 65532:65532",
        "HEALTHCHECK &{[\"CMD-SHELL\" \"curl -fsS http://localhost:8080/healthz || exit 1\"] \"30s\" \"3s\" \"0s\" \"0s\" '\\x03'}",
        "LABEL org.opencontainers.image.source=https://git.example.com/",
        "RUN /bin/sh -c set -eux; apk add --no-cache libc6-compat openssl # buildkit",
        "VOLUME [/data]",
    ];

    private sealed record Blob(long Id, long Size, string Sha256);

    private sealed record ImageContext(long PackageId, string Repository, List<Blob> Pool);

    private sealed class Push(string tag, long tagVersionId, long[] children)
    {
        public string Tag { get; } = tag;
        public long TagVersionId { get; } = tagVersionId;

        /// <summary>Platform manifests pushed by digest before the index; empty for a single-platform tag.</summary>
        public long[] Children { get; } = children;

        /// <summary>The tag was pushed again later: this index row is gone, its children dangle.</summary>
        public bool Superseded { get; set; }
    }

    /// <summary>One binary COPY per table, each on its own connection, open at once.</summary>
    private sealed class Importers : IDisposable
    {
        private readonly List<NpgsqlConnection> connections = [];

        public Importers(string connectionString)
        {
            Package = Open(connectionString, "package (id, owner_id, repo_id, type, name, lower_name, semver_compatible, is_internal)");
            Version = Open(connectionString, "package_version (id, package_id, creator_id, version, lower_version, created_unix, is_internal, metadata_json, download_count)");
            File = Open(connectionString, "package_file (id, version_id, blob_id, name, lower_name, composite_key, is_lead, created_unix)");
            Blob = Open(connectionString, "package_blob (id, size, hash_md5, hash_sha1, hash_sha256, hash_sha512, created_unix)");
            Property = Open(connectionString, "package_property (id, ref_type, ref_id, name, value)");
        }

        public NpgsqlBinaryImporter Package { get; }
        public NpgsqlBinaryImporter Version { get; }
        public NpgsqlBinaryImporter File { get; }
        public NpgsqlBinaryImporter Blob { get; }
        public NpgsqlBinaryImporter Property { get; }

        private IEnumerable<NpgsqlBinaryImporter> All => [Package, Version, File, Blob, Property];

        public void Complete()
        {
            foreach (var importer in All)
            {
                importer.Complete();
            }
        }

        public void Dispose()
        {
            foreach (var importer in All)
            {
                importer.Dispose();
            }

            foreach (var connection in connections)
            {
                connection.Dispose();
            }
        }

        private NpgsqlBinaryImporter Open(string connectionString, string target)
        {
            var connection = new NpgsqlConnection(connectionString);
            connection.Open();
            connections.Add(connection);
            return connection.BeginBinaryImport($"COPY {target} FROM STDIN (FORMAT BINARY)");
        }
    }
}
