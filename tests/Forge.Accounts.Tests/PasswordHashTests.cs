namespace Forge.Accounts.Tests;

/// <summary>PBKDF2-HMAC-SHA256 hashes as Forgejo's <c>pbkdf2$320000$50</c> writes them.</summary>
public sealed class PasswordHashTests
{
    // Computed independently (Python's hashlib.pbkdf2_hmac('sha256', password.encode(), bytes.fromhex(salt),
    // 320000, 50).hex()), the way Forgejo derives it: the salt's hex decoded, the password's UTF-8 bytes.
    private const string Salt = "00112233445566778899aabbccddeeff";

    [TestCase("correct horse battery", "36b933085628c98f43cb3dd1597fc32aebe6497873136cecd5672233bff9fead19903c0eb46215c7fd8f323796cfbeb7d9de")]
    [TestCase("pässwörd ✓", "fab0809a7541627a740fff7dcd2c5a577b64550ba6d4e1b5006c35946f0f2c7f5254682218ce845e48829ce82351419364ed")]
    public void A_hash_written_by_another_implementation_verifies(string password, string passwd)
    {
        Assert.That(PasswordHash.Verify(password, new StoredPassword(passwd, "pbkdf2$320000$50", Salt)), Is.True);
    }

    [Test]
    public void A_new_hash_verifies_with_its_password_and_with_no_other()
    {
        var stored = PasswordHash.Create("correct horse battery");

        Assert.Multiple(() =>
        {
            Assert.That(PasswordHash.Verify("correct horse battery", stored), Is.True);
            Assert.That(PasswordHash.Verify("correct horse batterY", stored), Is.False);
            Assert.That(PasswordHash.Verify(string.Empty, stored), Is.False);
        });
    }

    [Test]
    public void A_new_hash_has_a_random_salt_and_the_documented_format()
    {
        var first = PasswordHash.Create("same password");
        var second = PasswordHash.Create("same password");

        Assert.Multiple(() =>
        {
            Assert.That(first.Algorithm, Is.EqualTo("pbkdf2$320000$50"));
            Assert.That(first.Salt, Does.Match("^[0-9a-f]{32}$"));
            Assert.That(first.Passwd, Does.Match("^[0-9a-f]{100}$"));
            Assert.That(second.Salt, Is.Not.EqualTo(first.Salt));
            Assert.That(second.Passwd, Is.Not.EqualTo(first.Passwd));
        });
    }

    [TestCase("argon2")]
    [TestCase("pbkdf2")]
    [TestCase("pbkdf2$50000$50")]
    [TestCase("")]
    public void A_hash_of_another_algorithm_never_verifies(string algorithm)
    {
        var stored = PasswordHash.Create("correct horse battery") with { Algorithm = algorithm };

        Assert.That(PasswordHash.Verify("correct horse battery", stored), Is.False);
    }

    [TestCase("not hex")]
    [TestCase("abc")]
    [TestCase("")]
    public void A_damaged_row_never_verifies(string salt)
    {
        var stored = PasswordHash.Create("correct horse battery") with { Salt = salt };

        Assert.That(PasswordHash.Verify("correct horse battery", stored), Is.False);
    }
}
