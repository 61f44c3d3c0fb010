using System.Text;

namespace Forge.Accounts.Tests;

/// <summary>What an HTTP Basic header carries, and that its text never shows a password.</summary>
public sealed class BasicCredentialsTests
{
    private static string Header(string pair) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(pair));

    [TestCase("alice:pw", "alice", "pw")]
    [TestCase("alice:p:w", "alice", "p:w")]
    [TestCase("ålice:pässword", "ålice", "pässword")]
    [TestCase("alice", "alice", "")]
    [TestCase(":", "", "")]
    public void A_header_gives_the_name_and_the_password_after_the_first_colon(string pair, string name, string password)
    {
        var credentials = BasicCredentials.Decode(Header(pair))!;

        Assert.Multiple(() =>
        {
            Assert.That(credentials.Name, Is.EqualTo(name));
            Assert.That(credentials.Password, Is.EqualTo(password));
            Assert.That(credentials.IsComplete, Is.EqualTo(name.Length > 0 && password.Length > 0));
            Assert.That(credentials.IsEmpty, Is.EqualTo(name.Length == 0 && password.Length == 0));
        });
    }

    [TestCase("Basic not-base64!")]
    [TestCase("Basic /w==")]
    public void A_value_that_is_not_base64_of_UTF_8_gives_nothing(string header)
        => Assert.That(BasicCredentials.Decode(header), Is.Null);

    [TestCase("Basic abc", true)]
    [TestCase("basic abc", true)]
    [TestCase("token abc", false)]
    [TestCase("Basicabc", false)]
    public void The_scheme_is_Basic_in_any_letter_case(string header, bool basic)
        => Assert.That(BasicCredentials.IsBasic(header), Is.EqualTo(basic));

    [Test]
    public void Its_text_shows_neither_the_name_nor_the_password()
    {
        var text = BasicCredentials.Decode(Header("hunter2-name:hunter2-password"))!.ToString();

        Assert.That(text, Does.Not.Contain("hunter2"));
    }
}
