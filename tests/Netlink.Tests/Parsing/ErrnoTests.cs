namespace RouterHost.Netlink.Tests.Parsing;

public sealed class ErrnoTests
{
    [Theory]
    [InlineData(1, "EPERM")]
    [InlineData(17, "EEXIST")]
    [InlineData(19, "ENODEV")]
    [InlineData(22, "EINVAL")]
    [InlineData(99, "EADDRNOTAVAIL")]
    [InlineData(101, "ENETUNREACH")]
    [InlineData(133, "EHWPOISON")]
    [InlineData(524, "ENOTSUPP")]
    [InlineData(9999, "errno 9999")]
    [InlineData(41, "errno 41")]
    public void Errno_numbers_have_their_linux_names(int errno, string name) => Assert.Equal(name, Errno.Name(errno));

    [Fact]
    public void An_errno_exception_states_operation_name_number_and_description()
    {
        var error = new NetlinkException("adding address 10.0.0.1/24 to tun0 (ifindex 7)", 17);

        Assert.Equal("adding address 10.0.0.1/24 to tun0 (ifindex 7) failed: EEXIST (17): File exists", error.Message);
        Assert.Equal(17, error.Errno);
        Assert.Equal("EEXIST", error.ErrnoName);
        Assert.Null(error.KernelMessage);
    }
}
