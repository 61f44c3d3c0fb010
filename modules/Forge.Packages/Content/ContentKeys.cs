namespace Forge.Packages.Content;

/// <summary>
/// How content is named: by the lower-case SHA-256 hex of its bytes, under <c>&lt;h[0:2]&gt;/&lt;h[2:4]&gt;/&lt;h&gt;</c>,
/// the relative path Forgejo's content store gives a package blob in its folder and in its bucket alike.
/// </summary>
public static class ContentKeys
{
    /// <summary>The relative key of a blob (with '/'); throws on anything but 64 lower-case hex digits.</summary>
    public static string RelativeKeyOf(string sha256)
        => IsSha256Hex(sha256)
            ? $"{sha256[..2]}/{sha256[2..4]}/{sha256}"
            : throw new ArgumentException($"'{sha256}' is not a lower-case SHA-256 hex digest.", nameof(sha256));

    /// <summary>Whether <paramref name="uploadId"/> can name an upload session's file or chunks: 1 to 255 letters, digits, '-' and '_'.</summary>
    public static bool IsUploadId(string uploadId)
        => uploadId.Length is > 0 and <= 255 && uploadId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public static bool IsSha256Hex(string value) => value.Length == 64 && IsHex(value);

    public static bool IsHex(string value) => value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
