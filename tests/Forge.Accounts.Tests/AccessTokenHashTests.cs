using System.Security.Cryptography;
using System.Text;

namespace Forge.Accounts.Tests;

/// <summary>Access tokens as Forgejo makes them: 40 hex characters, PBKDF2-HMAC-SHA256 of the token with the salt's text, 10,000 iterations, 50 bytes.</summary>
public sealed class AccessTokenHashTests
{
    // Computed outside .NET: Python's hashlib.pbkdf2_hmac('sha256', token.encode(), salt.encode(), 10000, 50).hex();
    // the first is also what Forgejo's HashToken (Go's pbkdf2.Key) gives for that token and salt.
    [TestCase("fb1c430539c2d47e0b5991639e838b4367cab6a0", "5sOZ3Vfngn", "0bd29e825b675b6d7748146407033caa99104bce113e1c9350f91a08472f6544405f236a819258abe0180f3a445ac8b6fcbb")]
    [TestCase("8d4f1c0b9a7e6d5c4b3a29180f7e6d5c4b3a2918", "Qx3_vZ-8kLm2NpR4sT6uWy", "a09255acc4fb0ed9f50c57dd70150f0fcd46ca4ce00a6d24f3f32083526f1ae0bee29aa2c92bf43319fd227d2272cb3ca781")]
    public void A_hash_made_by_another_implementation_verifies(string token, string salt, string hash)
    {
        Assert.Multiple(() =>
        {
            Assert.That(AccessTokenHash.Verify(token, salt, hash), Is.True);
            Assert.That(AccessTokenHash.Verify(token, salt + "x", hash), Is.False, "another salt");
            Assert.That(AccessTokenHash.Verify((token[0] == '0' ? "1" : "0") + token[1..], salt, hash), Is.False, "another token");
        });
    }

    [Test]
    public void A_new_token_has_Forgejo_s_shape_and_its_row_verifies_it()
    {
        var first = AccessTokenHash.Create();
        var second = AccessTokenHash.Create();
        // What Forgejo would compute for the row, derived here directly.
        var forgejoHash = Convert.ToHexStringLower(Rfc2898DeriveBytes.Pbkdf2(
            Encoding.UTF8.GetBytes(first.Token), Encoding.UTF8.GetBytes(first.Salt), 10_000, HashAlgorithmName.SHA256, 50));

        Assert.Multiple(() =>
        {
            Assert.That(first.Token, Does.Match("^[0-9a-f]{40}$"));
            Assert.That(first.Salt, Does.Match("^[A-Za-z0-9_-]{22}$"));
            Assert.That(first.Hash, Is.EqualTo(forgejoHash));
            Assert.That(first.LastEight, Is.EqualTo(first.Token[^8..]));
            Assert.That(AccessTokenHash.Verify(first.Token, first.Salt, first.Hash), Is.True);
            Assert.That(second.Token, Is.Not.EqualTo(first.Token));
            Assert.That(second.Salt, Is.Not.EqualTo(first.Salt));
            Assert.That(first.ToString(), Does.Not.Contain(first.Token).And.Not.Contain(first.Hash));
        });
    }

    [TestCase("fb1c430539c2d47e0b5991639e838b4367cab6a0", true)]
    [TestCase("FB1C430539C2D47E0B5991639E838B4367CAB6A0", false)]
    [TestCase("fb1c430539c2d47e0b5991639e838b4367cab6a", false)]
    [TestCase("fb1c430539c2d47e0b5991639e838b4367cab6a00", false)]
    [TestCase("gb1c430539c2d47e0b5991639e838b4367cab6a0", false)]
    [TestCase("correct horse battery", false)]
    public void Only_40_lower_case_hex_characters_are_tried_as_a_token(string secret, bool shaped)
        => Assert.That(AccessTokenHash.HasTokenShape(secret), Is.EqualTo(shaped));

    [TestCase("not hex")]
    [TestCase("0bd29e")]
    [TestCase("")]
    public void A_damaged_hash_never_verifies(string hash)
        => Assert.That(AccessTokenHash.Verify("fb1c430539c2d47e0b5991639e838b4367cab6a0", "5sOZ3Vfngn", hash), Is.False);
}
