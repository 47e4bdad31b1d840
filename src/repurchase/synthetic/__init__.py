"""A synthetic private-domain retailer: the embedded default data of the demo and the tests.

It behaves like the business of ``shared/domain.md``, not like noise:

* a catalogue with consumption cycles (cooking oil, rice, snacks, skincare) and a course with an
  upgrade path (beginner -> advanced);
* customers who differ in usage speed (how fast they consume), loyalty, basket size, price
  sensitivity and engagement propensity;
* stores and WeChat groups with engagement events (messages, check-ins, shares, coupon claims with
  an expiry and their redemptions, referrals that bring new customers, group joins and leaves) and
  flash sales at fixed hours (10:00, 12:00, 15:00, 18:00) on fixed weekdays;
* staple purchases follow each customer's own cycle per category; at each "due" point the customer
  buys from us with a probability that rises with their *current* engagement intensity (and falls
  when it fades), so engagement truly raises purchase probability;
* a lapse process: engagement fades over the weeks before a customer's lapse date, then purchases
  stop.

The latent truth (each customer's purchase rate, engagement, lapse date) is written to
``ground_truth.parquet`` so tests can check that models recover real signal. Same seed, same bytes.

Customers are simulated in blocks of ``SyntheticSpec.block_customers`` (default 1,000,000), each
from its own generator derived from the seed, and each block is appended to the tables as Parquet
row groups: 10M customers take the memory of one block. Referrals stay within a block; a retailer
of one block is the data of the one-generator simulator (the demo's and the tests').

Modules, in the order :func:`iter_tables` runs them: ``spec`` (size, seed, season), ``catalog``
(what is sold, event types, ``products``), ``customers`` (latent traits, referrals, groups,
``customers``, ``ground_truth``), ``events`` (weekly engagement, ``events``), ``orders`` (staples,
flash sales, coupons, courses), ``order_tables`` (lines, ``orders``, ``order_items``), ``writer``
(the blocks, their generators and the files);
``records`` holds the named arrays passed between them, ``columns`` and ``draws`` small helpers.
"""

from repurchase.synthetic.catalog import CATALOG, EVENT_TYPES, FLASH_HOURS, FLASH_WEEKDAYS, STAPLES
from repurchase.synthetic.spec import SyntheticSpec
from repurchase.synthetic.writer import generate, iter_tables, write_synthetic

__all__ = ["CATALOG", "EVENT_TYPES", "FLASH_HOURS", "FLASH_WEEKDAYS", "STAPLES", "SyntheticSpec", "generate",
           "iter_tables", "write_synthetic"]
