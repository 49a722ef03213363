"""The source's own catalog items: the 21 rows of the 2015 first-batch excerpt, word for word.

Title, category, content, and the street or community where the source names one, are copied verbatim from
the article's table (kept as tests/data/catalog_2015_batch1_excerpt.json). The source gives no purchaser or
service class; the seed assigns them here, once, by the item's subject:
- a district department where the work is plainly that department's: civil affairs (区民政局) for the sector's
  upkeep (training, grading, the innovation park); justice (区司法局) for legal aid; health (区卫生和计划生育局)
  for health and mental-health services; human resources (区人力资源和社会保障局) for youth entrepreneurship;
  culture and sport (区文化体育局) for the youth reading club;
- the named street where the source names one; 晋阳街道 for the three 晋阳社区 items (the community lies in it);
- otherwise a street the source does not name, so the excerpt spreads over more purchasers: the two "马上"
  convenience services to 芳草街街道 (one street office, a pair of services), the others one street each.
Budgets, periods and minimum grades are drawn like every generated item's (tools/seed/catalog_items.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.contracts.catalog import ServiceClass
from shared.contracts.common import Purchaser


@dataclass(frozen=True)
class SourceItem:
    """One row of the source's table, with the purchaser and service class the seed assigns it."""

    category: str
    title: str
    content: str
    street: str | None
    community: str | None
    purchaser: Purchaser
    service_class: ServiceClass


# The three 晋阳社区 items name a community, not a street: the community is in 晋阳街道.
SOURCE_COMMUNITY_STREETS: dict[str, str] = {"晋阳社区": "晋阳街道"}

SOURCE_ITEMS: tuple[SourceItem, ...] = (
    SourceItem(
        "培训评估", "社会组织负责人和财务人员培训项目",
        "对全区1150个社会组织负责人和财务人员进行法律、法规和政策培训",
        street=None, community=None,
        purchaser=Purchaser(kind="department", name="区民政局"), service_class="administrative",
    ),
    SourceItem(
        "培训评估", "社会组织等级评估项目",
        "对120家社会组织按照《武侯区社会组织等级评估管理办法》的规定进行等级评估",
        street=None, community=None,
        purchaser=Purchaser(kind="department", name="区民政局"), service_class="administrative",
    ),
    SourceItem(
        "培训评估", "武侯区社会治理创新服务园运营管理项目",
        ("对场馆进行运营管理,设立社会组织培训评估学院并研制教学课件和开展教学活动,对"
        "入园的初创期社会组织进行孵化培育,举办公益创投和公益展示"),
        street=None, community=None,
        purchaser=Purchaser(kind="department", name="区民政局"), service_class="public_welfare",
    ),
    SourceItem(
        "青少年服务", "社区青少年心理健康咨询服务",
        ("开展社区学校讲座、个案辅导、团体辅导、沙龙等青少年心理健康辅导活动,帮助家长"
        "了解青少年心理发展的特色,教授与子女沟通的方法技巧,形成良好的亲子关系,建立"
        "和谐的家庭氛围;发现青少年的心理问题,进行疏导和干预"),
        street=None, community=None,
        purchaser=Purchaser(kind="department", name="区卫生和计划生育局"), service_class="public_welfare",
    ),
    SourceItem(
        "青少年服务", "社区青少年读书会项目",
        ("通过开展书籍推荐、读后感交流评价等活动,营造正面积极的读书学习氛围,构建青年"
        "文化志愿者队伍,结合社区实际开展公益文化活动"),
        street=None, community=None,
        purchaser=Purchaser(kind="department", name="区文化体育局"), service_class="public_welfare",
    ),
    SourceItem(
        "青少年服务", "社区青年“创业帮”服务项目",
        ("通过开展创业政策宣传、咨询答疑、专家培训、青年创业典型分享会、岗位推荐等活动"
        ",帮助创业青年申领创业补贴、“网店”补贴、社保补贴等扶持政策,提升青年创业意"
        "识和创业技能,帮助青年就业"),
        street=None, community=None,
        purchaser=Purchaser(kind="department", name="区人力资源和社会保障局"), service_class="public_welfare",
    ),
    SourceItem(
        "其他社区服务", "相亲沙龙",
        "为辖区内单身人士扩大交友机会、提供择偶平台",
        street="望江路街道", community=None,
        purchaser=Purchaser(kind="street", name="望江路街道"), service_class="market",
    ),
    SourceItem(
        "培训评估", "社区两委及社工能力提升",
        "为望江路街道社区两委成员设计综合能力提升培训;指导社会工作者开展服务",
        street="望江路街道", community=None,
        purchaser=Purchaser(kind="street", name="望江路街道"), service_class="administrative",
    ),
    SourceItem(
        "其他社区服务", "法律援助进社区",
        "针对辖区各类人群的不同需求开展法律知识宣传、讲座,提供法律咨询、法律援助",
        street=None, community=None,
        purchaser=Purchaser(kind="department", name="区司法局"), service_class="public_welfare",
    ),
    SourceItem(
        "其他社区服务", "卫生服务进社区",
        "对辖区居民开展家庭医生签约式服务、健康教育、医疗巡诊等",
        street=None, community=None,
        purchaser=Purchaser(kind="department", name="区卫生和计划生育局"), service_class="public_welfare",
    ),
    SourceItem(
        "助老", "望江路街道长寿食坊",
        "对辖区70岁(含)以上老人开展用餐及送餐服务",
        street="望江路街道", community=None,
        purchaser=Purchaser(kind="street", name="望江路街道"), service_class="public_welfare",
    ),
    SourceItem(
        "其他社区服务", "“马上到”便民维修服务",
        ("整合资源、组建便民服务队伍,提供下水道疏通、防水漏水处理、水电及家用电器维修"
        "等便民服务"),
        street=None, community=None,
        purchaser=Purchaser(kind="street", name="芳草街街道"), service_class="market",
    ),
    SourceItem(
        "其他社区服务", "“马上送”便民代购服务",
        "对辖区有需求的居民进行送餐、日常生活用品代购",
        street=None, community=None,
        purchaser=Purchaser(kind="street", name="芳草街街道"), service_class="market",
    ),
    SourceItem(
        "助老", "“老友会”互助关爱项目",
        "服务会员,包括看望生病住院老人,为会员庆生、为去世的会员送花圈等",
        street=None, community=None,
        purchaser=Purchaser(kind="street", name="浆洗街街道"), service_class="self_governance",
    ),
    SourceItem(
        "其他社区服务", "社区广场的商业规范使用",
        ("统一引入商家,规定使用时间,将获得的费用,除支付广场管理人员费用外,用于社区"
        "困难群体的帮助"),
        street=None, community=None,
        purchaser=Purchaser(kind="street", name="火车南站街道"), service_class="market",
    ),
    SourceItem(
        "助残", "康乐堂残疾人康复",
        "照顾残疾人日常起居,康复训练、技能培训、就业帮扶、心理辅导、互助支持等",
        street=None, community=None,
        purchaser=Purchaser(kind="street", name="跳伞塔街道"), service_class="public_welfare",
    ),
    SourceItem(
        "济困", "晋阳社区就业困难人员就业培训/促进项目",
        "提供技能培训、就业信息、就业指导、心理辅导等服务",
        street=None, community="晋阳社区",
        purchaser=Purchaser(kind="street", name="晋阳街道"), service_class="public_welfare",
    ),
    SourceItem(
        "社区融合", "晋阳社区“志愿同行”项目",
        "以院落为单位,开展便利服务及志愿服务;促进社区居民互助和参与社区公益",
        street=None, community="晋阳社区",
        purchaser=Purchaser(kind="street", name="晋阳街道"), service_class="self_governance",
    ),
    SourceItem(
        "社区文化", "晋阳社区文体公益活动",
        "组织文艺活动,培训各类文艺积极分子,开展居民参与的体育健身活动",
        street=None, community="晋阳社区",
        purchaser=Purchaser(kind="street", name="晋阳街道"), service_class="public_welfare",
    ),
    SourceItem(
        "社区融合", "假日跳蚤市场",
        "促进居民互助互利和融合",
        street="玉林街道", community=None,
        purchaser=Purchaser(kind="street", name="玉林街道"), service_class="self_governance",
    ),
    SourceItem(
        "其他社区服务", "失地农民心理咨询服务项目",
        "针对失地农民的心理咨询服务",
        street="簇桥街道", community=None,
        purchaser=Purchaser(kind="street", name="簇桥街道"), service_class="public_welfare",
    ),
)
