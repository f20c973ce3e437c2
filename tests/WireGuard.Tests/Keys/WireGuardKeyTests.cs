using FsCheck;
using FsCheck.Fluent;
using RouterHost.WireGuard.Keys;

namespace RouterHost.WireGuard.Tests.Keys;

public sealed class WireGuardKeyTests
{
    [Fact]
    public void A_key_made_by_wg_parses_and_formats_back_to_the_same_text()
    {
        Assert.SkipWhen(!File.Exists("/usr/bin/wg"), "wg is not installed (apt-get install wireguard-tools; scripts/test installs it)");
        string text = ChildProcess.Run("/usr/bin/wg", ["genkey"]).StdOut.Trim();
        var key = new byte[32];
        Assert.True(WireGuardKey.TryParse(text, key, out string? problem), problem);
        Assert.Equal(text, WireGuardKey.Format(key));
    }

    [Theory]
    [InlineData("", "got 0 characters")]
    [InlineData("abc", "got 3 characters")]
    [InlineData("YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXphYmNkZWY", "got 43 characters")]
    [InlineData("YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXphYmNkZWZnaA==", "got 48 characters")]
    [InlineData("YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXphYmNkZW==", "ending in one '='")]
    [InlineData("YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXphYmNkZW!=", "not valid base64")]
    [InlineData("YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXphYmNkZWZ=", "bits that 32 bytes cannot have")]
    public void Malformed_keys_are_refused_saying_why_without_echoing_the_text(string text, string expected)
    {
        var key = new byte[32];
        Assert.False(WireGuardKey.TryParse(text, key, out string? problem));
        Assert.Contains(expected, problem, StringComparison.Ordinal);
        if (text.Length > 8)
        {
            Assert.DoesNotContain(text, problem!, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Surrounding_whitespace_and_a_trailing_newline_are_ignored()
    {
        var key = new byte[32];
        key[0] = 7;
        string text = WireGuardKey.Format(key);
        var parsed = new byte[32];
        Assert.True(WireGuardKey.TryParse($"  {text}\n", parsed, out _));
        Assert.Equal(key, parsed);
    }

    [Fact]
    public void Any_32_bytes_round_trip_and_any_string_is_parsed_or_refused_without_throwing()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>().Filter(b => b.Length == 32).Generator.Select(b => b).ToArbitrary(), bytes =>
        {
            var parsed = new byte[32];
            return WireGuardKey.TryParse(WireGuardKey.Format(bytes), parsed, out _) && parsed.AsSpan().SequenceEqual(bytes);
        }).QuickCheckThrowOnFailure();
        Prop.ForAll<string>(text =>
        {
            var parsed = new byte[32];
            bool ok = WireGuardKey.TryParse(text ?? string.Empty, parsed, out string? problem);
            return ok == (problem is null);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Generated_preshared_keys_differ()
    {
        var a = new byte[32];
        var b = new byte[32];
        WireGuardKey.GeneratePresharedKey(a);
        WireGuardKey.GeneratePresharedKey(b);
        Assert.NotEqual(a, b);
    }
}
