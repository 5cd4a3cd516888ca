using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Q4.Data.Entities;

namespace Q4.Data;

/// <summary>
/// Q4's PostgreSQL schema, shared by the API (which applies the migrations) and the sync service.
/// Tables and columns are snake_case; money is <c>bigint</c>.
/// </summary>
public sealed class Q4DbContext(DbContextOptions<Q4DbContext> options) : DbContext(options)
{
    public const string ConnectionName = "q4db";

    public DbSet<User> Users => Set<User>();

    public DbSet<Auction> Auctions => Set<Auction>();

    public DbSet<Bid> Bids => Set<Bid>();

    public DbSet<Image> Images => Set<Image>();

    public DbSet<AuctionImage> AuctionImages => Set<AuctionImage>();

    public DbSet<SyncState> SyncState => Set<SyncState>();

    /// <summary>Options every user of the context shares (the services, and <c>dotnet ef</c> at design time).</summary>
    public static void Configure(DbContextOptionsBuilder options) => options.UseSnakeCaseNamingConvention();

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<User>(user =>
        {
            user.Property(u => u.Issuer).HasMaxLength(512);
            user.Property(u => u.Subject).HasMaxLength(255);
            user.Property(u => u.Name).HasMaxLength(64);
            user.Property(u => u.Email).HasMaxLength(320);
            user.Property(u => u.CreatedAt).HasDefaultValueSql("now()");
            user.HasIndex(u => new { u.Issuer, u.Subject }).IsUnique();
        });

        model.Entity<Auction>(auction =>
        {
            auction.Property(a => a.Title).HasMaxLength(200);
            auction.Property(a => a.Description).HasMaxLength(10_000);
            auction.Property(a => a.Status).HasConversion(
                status => status.ToString().ToLowerInvariant(),
                text => Enum.Parse<AuctionStatus>(text, true)).HasMaxLength(16);
            auction.Property(a => a.CreatedAt).HasDefaultValueSql("now()");
            auction.HasGeneratedTsVectorColumn(a => a.Search, "english", a => new { a.Title, a.Description })
                .HasIndex(a => a.Search).HasMethod("GIN");
            auction.HasOne(a => a.Seller).WithMany().HasForeignKey(a => a.SellerId).OnDelete(DeleteBehavior.Restrict);
            auction.HasOne(a => a.HighestBidder).WithMany().HasForeignKey(a => a.HighestBidderId).OnDelete(DeleteBehavior.Restrict);
            auction.HasOne(a => a.Winner).WithMany().HasForeignKey(a => a.WinnerId).OnDelete(DeleteBehavior.Restrict);
            // "My auctions", newest first, walked by keyset.
            auction.HasIndex(a => new { a.SellerId, a.CreatedAt, a.Id });
            // Search: one index per sort order, read forwards or backwards; the id breaks ties for the keyset.
            auction.HasIndex(a => new { a.EndsAt, a.Id });
            auction.HasIndex(a => new { a.CurrentPrice, a.Id });
            auction.HasIndex(a => new { a.CreatedAt, a.Id });
        });

        model.Entity<Bid>(bid =>
        {
            bid.Property(b => b.StreamId).HasMaxLength(64);
            bid.HasIndex(b => b.StreamId).IsUnique();
            bid.HasOne(b => b.Auction).WithMany().HasForeignKey(b => b.AuctionId).OnDelete(DeleteBehavior.Cascade);
            bid.HasOne(b => b.Bidder).WithMany().HasForeignKey(b => b.BidderId).OnDelete(DeleteBehavior.Restrict);
            // Histories newest first, walked by keyset on the insertion order (the stream's order).
            bid.HasIndex(b => new { b.AuctionId, b.Id });
            bid.HasIndex(b => new { b.BidderId, b.Id });
        });

        model.Entity<Image>(image =>
        {
            image.Property(i => i.ObjectKey).HasMaxLength(256);
            image.Property(i => i.ContentType).HasMaxLength(64);
            image.Property(i => i.CreatedAt).HasDefaultValueSql("now()");
            image.HasIndex(i => i.ObjectKey).IsUnique();
            image.HasIndex(i => new { i.UploaderId, i.CreatedAt });
            // Housekeeping finds old uploads that were never attached.
            image.HasIndex(i => i.CreatedAt);
            image.HasOne<User>().WithMany().HasForeignKey(i => i.UploaderId).OnDelete(DeleteBehavior.Restrict);
        });

        model.Entity<AuctionImage>(link =>
        {
            link.HasKey(l => new { l.AuctionId, l.ImageId });
            link.HasIndex(l => l.ImageId);
            // An auction's first photo is its thumbnail in every list.
            link.HasIndex(l => new { l.AuctionId, l.Position }).IsUnique();
            link.HasOne<Auction>().WithMany(a => a.Images).HasForeignKey(l => l.AuctionId).OnDelete(DeleteBehavior.Cascade);
            link.HasOne(l => l.Image).WithMany().HasForeignKey(l => l.ImageId).OnDelete(DeleteBehavior.Restrict);
        });

        model.Entity<SyncState>(state =>
        {
            state.Property(s => s.Id).ValueGeneratedNever();
            state.Property(s => s.LastStreamId).HasMaxLength(64);
            state.HasData(new SyncState { Id = Entities.SyncState.SingletonId, FencingToken = 0 });
        });
    }
}

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without a running database.</summary>
internal sealed class DesignTimeQ4DbContextFactory : IDesignTimeDbContextFactory<Q4DbContext>
{
    public Q4DbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<Q4DbContext>().UseNpgsql("Host=localhost;Database=q4db");
        Q4DbContext.Configure(options);
        return new Q4DbContext(options.Options);
    }
}
