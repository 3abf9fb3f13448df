// Two segments of one latent space may not share a name.
// expect: two blocks of this latent partition have the same name
#include <latent/space/partition.hpp>

struct p {};
struct q {};
using space = latent::partition<latent::block<"z", 2, p, q>, latent::block<"z", 3, p, q>>;
int main() { return static_cast<int>(space::count); }
