using System.Net;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Settings;

namespace RouterHost.Tests.Configuration;

/// <summary>The "address/prefix" text the backends' settings share (LinuxTun, Wintun, AfXdp).</summary>
public sealed class AddressPrefixTextTests
{
    [Theory]
    [InlineData("10.0.0.1/24", "10.0.0.1", 24)]
    [InlineData("10.0.0.1", "10.0.0.1", 32)]
    [InlineData("0.0.0.0/0", "0.0.0.0", 0)]
    [InlineData("fd00::1/64", "fd00::1", 64)]
    [InlineData("fd00::1", "fd00::1", 128)]
    [InlineData("::/0", "::", 0)]
    public void An_address_with_or_without_a_prefix_parses_and_no_prefix_means_a_host(string text, string address, int prefix)
    {
        Assert.True(AddressPrefixText.TryParse(text, out IPAddress? parsed, out int length));
        Assert.Equal(IPAddress.Parse(address), parsed);
        Assert.Equal(prefix, length);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("10.0.0.1/33")]
    [InlineData("fd00::1/129")]
    [InlineData("10.0.0.1/")]
    [InlineData("10.0.0.1/-1")]
    [InlineData("10.0.0.1/+8")]
    [InlineData("10.0.0.1/ 8")]
    [InlineData("10.0.0.1/8/8")]
    [InlineData("10.0.0.1/abc")]
    [InlineData("not-an-address/8")]
    [InlineData("/24")]
    [InlineData("10.0.0.1/99999999999")]
    public void Malformed_text_is_refused(string? text)
    {
        Assert.False(AddressPrefixText.TryParse(text, out IPAddress? parsed, out int prefix));
        Assert.Null(parsed);
        Assert.Equal(0, prefix);
    }

    [Fact]
    public void An_IPv6_zone_is_kept_for_the_caller_to_judge()
    {
        Assert.True(AddressPrefixText.TryParse("fe80::1%3/64", out IPAddress? parsed, out int prefix));
        Assert.Equal(3, parsed.ScopeId);
        Assert.Equal(64, prefix);
    }

    [Theory]
    [InlineData("10.1.2.3", 16, "10.1.0.0")]
    [InlineData("10.1.2.3", 0, "0.0.0.0")]
    [InlineData("10.1.2.3", 32, "10.1.2.3")]
    [InlineData("10.1.2.255", 25, "10.1.2.128")]
    [InlineData("fd01:2:3:4::5", 48, "fd01:2:3::")]
    public void Network_clears_the_host_bits(string address, int prefix, string network) =>
        Assert.Equal(IPAddress.Parse(network), AddressPrefixText.Network(IPAddress.Parse(address), prefix));

    [Fact]
    public void Any_text_parses_or_is_refused_without_throwing_and_what_parses_formats_back_to_itself()
    {
        Gen<string> piece = Gen.Elements("10", ".", "0", "1", "255", "256", ":", "::", "fd00", "/", "24", "128", "33", "%", "3", " ", "-", "x", "");
        Gen<string> text = Gen.Choose(0, 8).SelectMany(n => Gen.ArrayOf(piece, n)).Select(parts => string.Concat(parts));
        Prop.ForAll(text.ToArbitrary(), t =>
        {
            if (AddressPrefixText.TryParse(t, out IPAddress? address, out int prefix))
            {
                int max = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
                Assert.InRange(prefix, 0, max);
                Assert.True(AddressPrefixText.TryParse($"{address}/{prefix}", out IPAddress? again, out int prefixAgain));
                Assert.Equal(address, again);
                Assert.Equal(prefix, prefixAgain);
                IPAddress network = AddressPrefixText.Network(address, prefix);
                Assert.Equal(network, AddressPrefixText.Network(network, prefix));
            }
        }).QuickCheckThrowOnFailure();
    }
}
