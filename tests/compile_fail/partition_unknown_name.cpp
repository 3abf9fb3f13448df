// Looking up a segment the partition does not have is a compile error naming the mistake.
// expect: this latent partition has no block of that name
#include <latent/space/partition.hpp>

struct p {};
struct q {};
using space = latent::partition<latent::block<"z", 2, p, q>, latent::block<"w", 3, p, q>>;
int main() { return static_cast<int>(space::index_of<"s">()); }
