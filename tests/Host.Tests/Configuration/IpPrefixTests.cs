using System.Net;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Settings;

namespace RouterHost.Tests.Configuration;

/// <summary>The one prefix type of routes, allowed prefixes, firewall rules and on-link checks.</summary>
public sealed class IpPrefixTests
{
    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0/8")]
    [InlineData("10.0.0.1", "10.0.0.1/32")]
    [InlineData("2001:db8::/32", "2001:db8::/32")]
    [InlineData("::/0", "::/0")]
    public void A_network_parses_strictly(string text, string expected) => Assert.Equal(expected, IpPrefix.Parse(text).ToString());

    [Fact]
    public void Host_bits_are_refused_by_the_strict_parse_naming_the_network_and_cleared_by_the_containing_one()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => IpPrefix.Parse("10.1.2.3/8"));
        Assert.Contains("use the network address (10.0.0.0/8)", error.Message, StringComparison.Ordinal);
        Assert.Equal("10.0.0.0/8", IpPrefix.ParseContaining("10.1.2.3/8").ToString());
        Assert.Equal("2001:db8::/32", IpPrefix.Containing(IPAddress.Parse("2001:db8::1"), 32).ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("10.0.0.0/33")]
    [InlineData("::/129")]
    [InlineData("10.0.0.0/")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("nope/8")]
    public void Malformed_text_is_a_format_error_saying_how_to_write_a_prefix(string text)
    {
        FormatException error = Assert.Throws<FormatException>(() => IpPrefix.Parse(text));
        Assert.Contains("like 10.0.0.0/8", error.Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => IpPrefix.ParseContaining(text));
    }

    [Fact]
    public void Range_key_and_containment_agree_for_any_address_and_length()
    {
        Gen<(bool, UInt128, int)> gen =
            from v6 in ArbMap.Default.GeneratorFor<bool>()
            from high in ArbMap.Default.GeneratorFor<ulong>()
            from low in ArbMap.Default.GeneratorFor<ulong>()
            from length in Gen.Choose(0, v6 ? 128 : 32)
            select (v6, v6 ? new UInt128(high, low) : (UInt128)(uint)low, length);
        Prop.ForAll(gen.ToArbitrary(), c =>
        {
            (bool v6, UInt128 number, int length) = c;
            IpPrefix prefix = IpPrefix.Containing(v6, number, length);
            Span<byte> bytes = stackalloc byte[v6 ? 16 : 4];
            if (v6)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(bytes, number);
            }
            else
            {
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)number);
            }

            return prefix.Contains(v6, number) && prefix.Contains(bytes) && !prefix.Contains(!v6, number)
                && prefix.First <= number && number <= prefix.Last
                && prefix.Key == (v6 ? prefix.First : prefix.First << 96)
                && IpPrefix.Parse(prefix.ToString()) == prefix
                && IpPrefix.ToNumber(prefix.Address) == prefix.First
                && IpPrefix.FromNetwork(prefix.ToNetwork()) == prefix
                && prefix.ToNetwork() == IPNetwork.Parse(prefix.ToString());
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_contract_network_converts_to_the_same_prefix()
    {
        Assert.Equal(IpPrefix.Parse("10.9.0.0/16"), IpPrefix.FromNetwork(IPNetwork.Parse("10.9.0.0/16")));
        Assert.Equal(IpPrefix.Parse("fd09::/48"), IpPrefix.FromNetwork(IPNetwork.Parse("fd09::/48")));
        Assert.Equal(IpPrefix.AnyIPv4, IpPrefix.FromNetwork(IPNetwork.Parse("0.0.0.0/0")));
        Assert.Equal(IpPrefix.AnyIPv4, IpPrefix.FromNetwork(default)); // .NET's default IPNetwork is 0.0.0.0/0
    }
}
