namespace RouterHost.Linux.Tests;

/// <summary>The one errno table: every number of the generic Linux table has its name, others say "errno".</summary>
public sealed class ErrnoTests
{
    [Theory]
    [InlineData(1, "EPERM")]
    [InlineData(3, "ESRCH")]
    [InlineData(17, "EEXIST")]
    [InlineData(19, "ENODEV")]
    [InlineData(22, "EINVAL")]
    [InlineData(99, "EADDRNOTAVAIL")]
    [InlineData(101, "ENETUNREACH")]
    [InlineData(110, "ETIMEDOUT")]
    [InlineData(133, "EHWPOISON")]
    [InlineData(524, "ENOTSUPP")]
    [InlineData(9999, "errno")]
    [InlineData(41, "errno")]
    [InlineData(0, "errno")]
    [InlineData(-1, "errno")]
    public void Errno_numbers_have_their_linux_names(int errno, string name) => Assert.Equal(name, Errno.Name(errno));

    [Fact]
    public void A_description_has_name_number_and_the_C_library_text()
    {
        Assert.Equal("EEXIST (17): File exists", Errno.Describe(Errno.EEXIST));
        Assert.StartsWith("errno (9999): ", Errno.Describe(9999), StringComparison.Ordinal);
    }
}
