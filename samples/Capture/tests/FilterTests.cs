using System.Net;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Samples.Capture.Filter;

namespace RouterHost.Samples.Capture.Tests;

public sealed class FilterTests
{
    [Theory]
    [InlineData("tcp", new byte[] { 6 })]
    [InlineData(" UDP ", new byte[] { 17 })]
    [InlineData("icmp", new byte[] { 1, 58 })]
    [InlineData("icmpv6", new byte[] { 58 })]
    [InlineData("0", new byte[] { 0 })]
    [InlineData("255", new byte[] { 255 })]
    [InlineData("047", new byte[] { 47 })]
    public void Protocols_parse_as_names_or_numbers(string text, byte[] expected)
    {
        var numbers = new List<byte>();
        Assert.True(FilterText.TryParseProtocol(text, numbers, out string error), error);
        Assert.Equal(expected, numbers);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(null)]
    [InlineData("tcpp")]
    [InlineData("256")]
    [InlineData("-1")]
    [InlineData("+6")]
    [InlineData("6.0")]
    [InlineData("1000")]
    [InlineData("０")]
    [InlineData("tcp,udp")]
    public void Malformed_protocols_are_refused_saying_what_is_expected(string? text)
    {
        var numbers = new List<byte>();
        Assert.False(FilterText.TryParseProtocol(text, numbers, out string error));
        Assert.Empty(numbers);
        Assert.Contains("tcp, udp, icmp", error, StringComparison.Ordinal);
        Assert.Contains("0-255", error, StringComparison.Ordinal);
        Assert.Contains($"(got '{text}')", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0/8")]
    [InlineData("192.0.2.7", "192.0.2.7/32")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("2001:db8::/32", "2001:db8::/32")]
    [InlineData("fd00::1", "fd00::1/128")]
    [InlineData("::/0", "::/0")]
    [InlineData(" 10.1.0.0/16 ", "10.1.0.0/16")]
    public void Prefixes_parse(string text, string expected)
    {
        Assert.True(FilterText.TryParsePrefix(text, out CapturePrefix prefix, out string error), error);
        Assert.Equal(expected, prefix.ToString());
    }

    [Theory]
    [InlineData("", "IPv4 or IPv6 prefix")]
    [InlineData(null, "IPv4 or IPv6 prefix")]
    [InlineData("10", "IPv4 or IPv6 prefix")]
    [InlineData("10.1", "IPv4 or IPv6 prefix")]
    [InlineData("10.0.0.256/8", "IPv4 or IPv6 prefix")]
    [InlineData("010.0.0.0x/8", "IPv4 or IPv6 prefix")]
    [InlineData("fe80::1%eth0", "IPv4 or IPv6 prefix")]
    [InlineData("host.example", "IPv4 or IPv6 prefix")]
    [InlineData("/8", "IPv4 or IPv6 prefix")]
    [InlineData("10.0.0.0/33", "from 0 to 32")]
    [InlineData("10.0.0.0/", "from 0 to 32")]
    [InlineData("10.0.0.0/-1", "from 0 to 32")]
    [InlineData("10.0.0.0/+8", "from 0 to 32")]
    [InlineData("10.0.0.0/8/8", "from 0 to 32")]
    [InlineData("2001:db8::/129", "from 0 to 128")]
    [InlineData("10.1.2.3/8", "write '10.0.0.0/8'")]
    [InlineData("2001:db8::1/32", "write '2001:db8::/32'")]
    public void Malformed_prefixes_are_refused_saying_what_is_wrong(string? text, string says)
    {
        Assert.False(FilterText.TryParsePrefix(text, out _, out string error));
        Assert.Contains(says, error, StringComparison.Ordinal);
        Assert.Contains($"(got '{text}')", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Ports_prefixes_and_protocols_must_all_hold()
    {
        var filter = new CaptureFilter([7], [Prefix("10.0.1.0/24"), Prefix("fd00:1::/64")], [17, 58]);
        byte[] udp = TestPackets.IPv4("10.0.0.1", "10.0.1.9", 17, 60);
        Assert.True(filter.Matches(udp, 7, 0));
        Assert.True(filter.Matches(udp, 3, 7));
        Assert.False(filter.Matches(udp, 3, 4));
        Assert.True(filter.Matches(TestPackets.IPv4("10.0.1.9", "192.0.2.1", 17, 60), 7, 0));
        Assert.False(filter.Matches(TestPackets.IPv4("10.0.2.9", "192.0.2.1", 17, 60), 7, 0));
        Assert.False(filter.Matches(TestPackets.IPv4("10.0.1.9", "192.0.2.1", 6, 60), 7, 0));
        Assert.True(filter.Matches(TestPackets.IPv6("fd00:1::5", "fd00:2::5", 58, 48), 7, 0));
        Assert.False(filter.Matches(TestPackets.IPv6("fd00:3::5", "fd00:2::5", 58, 48), 7, 0));
        Assert.False(filter.Matches([0x45, 0, 0], 7, 0));
        Assert.False(filter.Matches([], 7, 0));
    }

    [Fact]
    public void Without_conditions_everything_matches_even_what_is_not_IP()
    {
        Assert.True(CaptureFilter.All.Matches([], 0, 0));
        Assert.True(CaptureFilter.All.Matches([0x10, 1, 2], 1, 2));
        Assert.True(new CaptureFilter([1], [], []).Matches([0x10], 1, 0));
    }

    [Fact]
    public void The_IPv6_protocol_is_read_after_extension_headers()
    {
        // Hop-by-hop (8 bytes) then a fragment header (8 bytes) then UDP.
        byte[] packet = TestPackets.IPv6("fd00::1", "fd00::2", 0, 40 + 8 + 8 + 8);
        packet[40] = 44;
        packet[41] = 0;
        packet[48] = 17;
        Assert.True(CaptureFilter.TryParse(packet, out _, out _, out byte protocol));
        Assert.Equal(17, protocol);
        Assert.True(new CaptureFilter([], [], [17]).Matches(packet, 0, 0));

        // Cut inside the fragment header: the last next-header seen.
        Assert.True(CaptureFilter.TryParse(packet.AsSpan(0, 52), out _, out _, out protocol));
        Assert.Equal(44, protocol);
    }

    [Fact]
    public void Prefix_text_never_throws_and_what_parses_prints_back_to_itself()
    {
        Prop.ForAll(
            Arb.From(Gen.OneOf(ArbMap.Default.GeneratorFor<string>(), PrefixLikeText())),
            text =>
            {
                if (FilterText.TryParsePrefix(text, out CapturePrefix prefix, out string error))
                {
                    Assert.True(FilterText.TryParsePrefix(prefix.ToString(), out CapturePrefix again, out _));
                    Assert.Equal(prefix, again);
                }
                else
                {
                    Assert.Contains("got '", error, StringComparison.Ordinal);
                }

                var numbers = new List<byte>();
                Assert.Equal(FilterText.TryParseProtocol(text, numbers, out _), numbers.Count > 0);
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Prefix_matching_agrees_with_IPNetwork()
    {
        Prop.ForAll(
            ArbMap.Default.ArbFor<uint>(),
            ArbMap.Default.ArbFor<uint>(),
            Arb.From(Gen.Choose(0, 32)),
            (network, address, length) =>
            {
                uint masked = length == 0 ? 0 : network & (uint.MaxValue << (32 - length));
                var ip = new IPAddress(BitConverter.GetBytes(masked).Reverse().ToArray());
                var net = new IPNetwork(ip, length);
                var prefix = new CapturePrefix(false, masked, length);
                byte[] bytes = BitConverter.GetBytes(address).Reverse().ToArray();
                Assert.Equal(net.Contains(new IPAddress(bytes)), prefix.Contains(bytes));
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Matching_any_bytes_never_throws_and_agrees_with_the_parse()
    {
        var filter = new CaptureFilter([], [Prefix("10.0.0.0/8"), Prefix("fd00::/8")], [6, 17]);
        Prop.ForAll(
            ArbMap.Default.ArbFor<byte[]>(),
            bytes =>
            {
                bool parsed = CaptureFilter.TryParse(bytes, out ReadOnlySpan<byte> source, out ReadOnlySpan<byte> destination, out byte protocol);
                bool matched = filter.Matches(bytes, 0, 0);
                Assert.True(!matched || parsed);
                if (parsed)
                {
                    Assert.Equal(source.Length, destination.Length);
                    Assert.True(source.Length is 4 or 16);
                    bool inside = source[0] == (source.Length == 4 ? 10 : 0xfd) || destination[0] == (source.Length == 4 ? 10 : 0xfd);
                    Assert.Equal(inside && protocol is 6 or 17, matched);
                }
            }).QuickCheckThrowOnFailure();
    }

    private static CapturePrefix Prefix(string text)
    {
        Assert.True(FilterText.TryParsePrefix(text, out CapturePrefix prefix, out string error), error);
        return prefix;
    }

    // Text near the grammar: addresses, lengths, separators and junk put together.
    private static Gen<string> PrefixLikeText() =>
        Gen.Elements("10", "0", "255", "256", "1", "::", "fd00", ":", ".", "/", "%", " ", "-", "+", "a", "ff", "32", "128", "33", "0x1")
            .ArrayOf()
            .Select(parts => string.Concat(parts));
}
