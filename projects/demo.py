"""示例市 — the fictional city ``manage.py seed_demo`` builds (DESIGN §4; issue 2, deliverable 9).

Reference data (organisations, users, the expert and agency pools) is written with
``get_or_create`` keyed on codes, usernames and credit codes. Everything with a lifecycle —
fiscal years, projects, pre-assessments — is created and moved THROUGH the services
(``projects.services``, ``workflow.services.perform_transition``) by the user who would do it,
so the review records and audit events exist exactly as if people had clicked.

Running it again changes nothing: a project that already exists (same year and code) is left as
it is, and so is every organisation, user and pool entry found by its key.

Where things sit in the tree (a decision, documented in the command's output):
- every finance user (财政业务科室, 绩效管理科) and the auditor belong to 示例市财政局 itself;
- each department has a 本级 unit (its own office, which files the 部门整体支出) and three units;
- the two 街道办事处 hang under 民政局 (which guides 基层政权和社区治理), so their budgets are
  reviewed by a department like every other unit's; 下级政府财政运行 projects are filed by
  民政局本级 — the organisation tree has no kind for a lower-level government.
"""

import datetime
import random
import zlib
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from accounts.choices import AgencyQualification, OrganizationKind, Role
from accounts.models import Agency, Expert, Organization
from workflow.services import perform_transition

from . import services
from .choices import BudgetType, Conclusion, Dimension, PreAssessmentMode, ProjectKind
from .models import FiscalYear, PreAssessment, Project

# Demo-only: every demo account shares it. It satisfies the password rules (≥ 8 characters,
# 3 of 4 character classes, not a common password). Never use the demo users in production.
DEMO_PASSWORD = "Demo@2026"
CURRENT_YEAR = 2026
PREVIOUS_YEAR = 2025

FINANCE = ("100", "示例市财政局")

# (code, name, units). The first unit is the department's own office (本级).
DEPARTMENTS = (
    ("201", "示例市教育局", ("示例市第一中学", "示例市第二中学", "示例市实验小学")),
    ("202", "示例市卫生健康委员会", ("示例市人民医院", "示例市中医院", "示例市疾病预防控制中心")),
    ("203", "示例市交通运输局", ("示例市公路事业发展中心", "示例市公共交通服务中心", "示例市港航事业发展中心")),
    ("204", "示例市农业农村局", ("示例市农业技术推广中心", "示例市动物疫病预防控制中心", "示例市农田建设服务中心")),
    (
        "205",
        "示例市人力资源和社会保障局",
        ("示例市社会保险事业管理中心", "示例市公共就业和人才服务中心", "示例市技师学院"),
    ),
    (
        "206",
        "示例市生态环境局",
        ("示例市生态环境监测站", "示例市生态环境保护综合行政执法支队", "示例市固体废物管理中心"),
    ),
    ("207", "示例市文化广电旅游局", ("示例市图书馆", "示例市博物馆", "示例市文化馆")),
    ("208", "示例市公安局", ("示例市公安局交通警察支队", "示例市公安局刑事侦查支队", "示例市看守所")),
    ("209", "示例市民政局", ("示例市社会福利院", "示例市救助管理站", "示例市殡葬管理所")),
    (
        "210",
        "示例市住房和城乡建设局",
        ("示例市住房保障服务中心", "示例市建设工程质量安全监督站", "示例市市政设施管理中心"),
    ),
)
# 街道办事处 under 民政局 (see the module docstring).
SUBDISTRICT_PARENT = "209"
SUBDISTRICTS = (("209901", "示例市东城街道办事处"), ("209902", "示例市西城街道办事处"))

# (org code, name, qualification, credit code, contact, phone, barred reason)
AGENCIES = (
    (
        "AG001",
        "示例华信绩效评估咨询有限公司",
        AgencyQualification.GRADE_A,
        "91990100MA35HX0012",
        "钱晓燕",
        "0990-86120001",
        "",
    ),
    (
        "AG002",
        "示例正德会计师事务所（特殊普通合伙）",
        AgencyQualification.GRADE_A,
        "91990100MA35ZD0027",
        "冯志远",
        "0990-86120002",
        "",
    ),
    (
        "AG003",
        "示例诚达工程造价咨询有限公司",
        AgencyQualification.GRADE_B,
        "91990100MA35CD0035",
        "褚文博",
        "0990-86120003",
        "",
    ),
    (
        "AG004",
        "示例远景管理咨询有限公司",
        AgencyQualification.GRADE_C,
        "91990100MA35YJ0043",
        "卫国栋",
        "0990-86120004",
        "2025年度执业质量考核不合格：评价报告引用数据与原始凭证不符，列入禁入名单（2025年12月至2027年11月）。",
    ),
)

# (name, fields, title, employer, own department code or "", login username or "", in pool)
EXPERTS = (
    (
        "陈立新",
        "工程造价、交通基础设施、项目管理",
        "正高级工程师",
        "示例市建设工程质量安全监督站",
        "210",
        "zhuanjia",
        True,
    ),
    ("刘洋", "公共卫生、医院管理", "主任医师", "示例市人民医院", "202", "zhuanjia2", True),
    ("王建华", "财政预算、绩效管理", "教授", "示例财经大学", "", "", True),
    ("周敏", "教育管理、教育经济", "教授", "示例师范学院", "", "", True),
    ("赵静", "财务会计、内部审计", "注册会计师", "示例正德会计师事务所（特殊普通合伙）", "", "", True),
    ("孙伟", "农业经济、农田水利", "研究员", "示例市农业技术推广中心", "204", "", True),
    ("吴芳", "生态环境、环境工程", "教授级高级工程师", "示例环境科学研究院", "", "", True),
    ("郑凯", "社会保障、劳动经济", "副教授", "示例财经大学", "", "", True),
    ("何强", "文化旅游、公共文化服务", "研究馆员", "示例市图书馆", "207", "", False),
)

# The users the README lists: (username, family name, given name, role, organisation code, what to try).
DEMO_USERS = (
    ("admin", "系统", "管理员", "", FINANCE[0], "超级管理员（Django 后台）"),
    (
        "danwei",
        "张",
        "丽",
        Role.UNIT_STAFF,
        "201002",
        "示例市第一中学的填报人：新建项目、填报事前评估、填报三季度绩效监控表（含红灯指标）、修改被退回的监控表",
    ),
    ("danwei2", "马", "强", Role.UNIT_STAFF, "202002", "示例市人民医院的填报人（卫健委）：看不到教育局的任何数据"),
    (
        "bumen",
        "李",
        "华",
        Role.DEPT_REVIEWER,
        "201",
        "教育局审核人：审核或退回教育局各单位提交的项目、事前评估和绩效监控表，报送整改",
    ),
    (
        "caizheng",
        "王",
        "芳",
        Role.FINANCE_REVIEWER,
        FINANCE[0],
        "财政业务科室：审核绩效监控表（通过、退回或要求整改）、确认整改、导入国库支付数据",
    ),
    (
        "jixiao",
        "刘",
        "伟",
        Role.PERFORMANCE_OFFICE,
        FINANCE[0],
        "绩效管理科：委托评估、出具结论、确定重点项目、开启监控批次、资金处置、年度规则",
    ),
    ("zhuanjia", "陈", "立新", Role.EXPERT, FINANCE[0], "评审专家：只看到分配给自己的事前评估"),
    ("zhuanjia2", "刘", "洋", Role.EXPERT, FINANCE[0], "评审专家（卫健委回避）"),
    ("pingjia", "钱", "晓燕", Role.AGENCY_EVALUATOR, "AG001", "第三方机构评价人员：只看到委托给本机构的评估"),
    ("shenji", "赵", "敏", Role.AUDITOR, FINANCE[0], "审计：全市只读，可查审计日志"),
)

_FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"
_GIVEN = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "建国",
    "海燕",
    "志强",
    "晓东",
    "文静",
    "国庆",
    "春梅",
    "玉兰",
    "红梅",
    "立群",
)


def person_name(seed: str) -> tuple[str, str]:
    """A stable, made-up Chinese name (family, given) for a background user or a 项目责任人."""
    n = zlib.crc32(seed.encode())
    return _FAMILY[n % len(_FAMILY)], _GIVEN[(n // 97) % len(_GIVEN)]


# --- Projects ------------------------------------------------------------------------------

K, B = ProjectKind, BudgetType


@dataclass(frozen=True)
class Spec:
    """One project of the library: ``unit`` is 1 for the 本级 unit, 2–4 for the units, or a
    subdistrict code. Flags: new, major, key, m2/m3 (implementation period in years). A project
    that is not new is continuing (延续) and also has a row in the previous year."""

    unit: int | str
    name: str
    kind: str
    wan: int  # budget in 万元
    flags: str = ""
    budget_type: str = B.GENERAL_PUBLIC
    plan: str = ""  # an explicit plan (below), else one is dealt in turn

    def has(self, flag: str) -> bool:
        return flag in self.flags.split()

    @property
    def years(self) -> int:
        return next((int(f[1:]) for f in self.flags.split() if f[0] == "m" and f[1:].isdigit()), 1)


GF, SC, SI = B.GOVERNMENT_FUND, B.STATE_CAPITAL, B.SOCIAL_INSURANCE

PROJECTS = {
    "201": (
        Spec(1, "示例市教育局部门整体支出", K.DEPARTMENT_OVERALL, 4800),
        Spec(1, "学前教育生均公用经费补助", K.POLICY, 1800),
        Spec(1, "义务教育阶段家庭经济困难学生生活补助", K.POLICY, 960, "new"),
        Spec(1, "示例市智慧教育云平台建设", K.PROCUREMENT, 1200, "new major key m3", plan="pa_resubmit_support"),
        Spec(2, "示例市第一中学教学楼抗震加固改造", K.PROJECT, 850, "new m2", plan="pa_returned_dept"),
        Spec(2, "示例市第一中学实验室设备更新", K.PROCUREMENT, 180, "new", plan="draft"),
        Spec(2, "示例市第一中学校园安保服务", K.PURCHASED_SERVICE, 65, plan="library"),
        Spec(2, "示例市第一中学智慧教室改造", K.PROCUREMENT, 620, "new", plan="pa_none"),
        Spec(3, "示例市第二中学新校区建设（一期）", K.PROJECT, 3200, "new major m3", GF),
        Spec(3, "示例市第二中学教师培训", K.PROJECT, 45, plan="submitted"),
        Spec(4, "示例市实验小学课后服务政府购买服务", K.PURCHASED_SERVICE, 120),
        Spec(4, "示例市实验小学学生营养餐改善", K.PROJECT, 560, "new", plan="pa_dept_review"),
        Spec(1, "中小学校舍安全保障长效机制补助（转移支付）", K.TRANSFER_PAYMENT, 2600),
        # danwei's unit needs approved targets to have monitoring reports (monitoring/demo.py).
        Spec(2, "示例市第一中学学生心理健康教育服务", K.PURCHASED_SERVICE, 48, "new", plan="library"),
        Spec(2, "示例市第一中学图书馆图书资源更新", K.PROCUREMENT, 36, "new", plan="library"),
    ),
    "202": (
        Spec(1, "示例市卫生健康委员会部门整体支出", K.DEPARTMENT_OVERALL, 4500),
        Spec(1, "基本公共卫生服务补助（转移支付）", K.TRANSFER_PAYMENT, 3800),
        Spec(1, "家庭医生签约服务补助政策", K.POLICY, 700, "new"),
        Spec(2, "示例市人民医院住院综合楼建设", K.PROJECT, 4200, "new major key m3", plan="pa_experts_adjust"),
        Spec(2, "示例市人民医院医用设备购置", K.PROCUREMENT, 1500, "new", plan="pa_agency_finance_review"),
        Spec(2, "公立医院综合改革补助", K.POLICY, 380, plan="library"),
        Spec(3, "示例市中医院中医药传承创新发展", K.PROJECT, 600, "new"),
        Spec(3, "示例市中医院信息化建设", K.PROCUREMENT, 260),
        Spec(4, "重大传染病防控", K.PROJECT, 900),
        Spec(4, "示例市疾控中心实验室检测能力提升", K.PROCUREMENT, 720, "new m2"),
        Spec(4, "免费预防接种服务", K.PURCHASED_SERVICE, 310),
        Spec(1, "院前急救医疗服务体系建设", K.PROJECT, 480, "new"),
    ),
    "203": (
        Spec(1, "示例市交通运输局部门整体支出", K.DEPARTMENT_OVERALL, 3600),
        Spec(1, "示例市快速路网PPP项目可行性缺口补助", K.PPP, 4600, "major key m3"),
        Spec(1, "示例市公交集团国有资本金注入", K.PROJECT, 3000, "new major", SC),
        Spec(1, "示例市交通产业发展基金出资", K.INVESTMENT_FUND, 5000, "new major"),
        Spec(2, "国省干线公路养护工程", K.PROJECT, 2800, "", GF),
        Spec(2, "农村公路提档升级（转移支付）", K.TRANSFER_PAYMENT, 2200, "new m2"),
        Spec(2, "公路桥梁安全监测系统建设", K.PROCUREMENT, 540, "new"),
        Spec(3, "城市公交运营补贴", K.POLICY, 4000),
        Spec(3, "新能源公交车购置", K.PROCUREMENT, 1800, "new"),
        Spec(3, "公交智能调度系统运维", K.PURCHASED_SERVICE, 150),
        Spec(4, "内河航道疏浚维护", K.PROJECT, 760),
        Spec(4, "港口岸线资源调查评估", K.PURCHASED_SERVICE, 90, "new"),
    ),
    "204": (
        Spec(1, "示例市农业农村局部门整体支出", K.DEPARTMENT_OVERALL, 2900),
        Spec(1, "耕地地力保护补贴", K.POLICY, 3500),
        Spec(1, "衔接推进乡村振兴补助资金（转移支付）", K.TRANSFER_PAYMENT, 4800, "key"),
        Spec(1, "示例市乡村振兴产业投资基金出资", K.INVESTMENT_FUND, 2000, "new major"),
        Spec(2, "主要农作物病虫害绿色防控", K.PROJECT, 320),
        Spec(2, "基层农技推广体系改革与建设", K.PROJECT, 260, "new"),
        Spec(3, "重大动物疫病强制免疫", K.PROJECT, 680),
        Spec(3, "动物疫病监测实验室设备购置", K.PROCUREMENT, 150, "new"),
        Spec(4, "高标准农田建设", K.PROJECT, 4500, "new major m3", GF),
        Spec(4, "农田水利设施管护服务", K.PURCHASED_SERVICE, 210),
        Spec(4, "农村人居环境整治提升", K.PROJECT, 1600, "new m2"),
        Spec(2, "农业社会化服务补助", K.POLICY, 900, "new"),
    ),
    "205": (
        Spec(1, "示例市人力资源和社会保障局部门整体支出", K.DEPARTMENT_OVERALL, 1800),
        Spec(2, "城镇职工基本养老保险基金支出", K.POLICY, 5000, "", SI),
        Spec(2, "城乡居民基本养老保险基金支出", K.POLICY, 4200, "", SI),
        Spec(2, "失业保险基金稳岗返还", K.POLICY, 1600, "new", SI),
        Spec(2, "工伤保险基金工伤预防项目", K.PROJECT, 300, "new", SI),
        Spec(2, "社会保险经办服务能力提升", K.PROCUREMENT, 450),
        Spec(3, "就业创业补贴", K.POLICY, 2400),
        Spec(3, "高校毕业生就业见习补贴", K.POLICY, 620, "new"),
        Spec(3, "职业技能提升培训政府购买服务", K.PURCHASED_SERVICE, 880, "new"),
        Spec(4, "示例市技师学院实训基地建设", K.PROJECT, 1300, "new major m2"),
        Spec(4, "技工院校免学费补助", K.POLICY, 410),
        Spec(1, "国有企业退休人员社会化管理补助", K.PROJECT, 560, "", SC),
    ),
    "206": (
        Spec(1, "示例市生态环境局部门整体支出", K.DEPARTMENT_OVERALL, 1500),
        Spec(1, "示例市城市污水处理厂提标改造PPP项目", K.PPP, 3800, "new major key m3", plan="pa_agency_support"),
        Spec(1, "大气污染防治专项", K.PROJECT, 1200),
        Spec(1, "流域横向生态保护补偿（转移支付）", K.TRANSFER_PAYMENT, 1000, "new"),
        Spec(2, "空气质量自动监测站运维", K.PURCHASED_SERVICE, 240),
        Spec(2, "生态环境监测能力建设", K.PROCUREMENT, 680, "new"),
        Spec(3, "生态环境执法装备购置", K.PROCUREMENT, 160, "new"),
        Spec(3, "重点排污单位在线监控运维", K.PURCHASED_SERVICE, 95),
        Spec(4, "危险废物集中处置中心扩建", K.PROJECT, 2600, "new major m2", GF),
        Spec(4, "医疗废物应急处置", K.PROJECT, 130),
        Spec(1, "土壤污染防治", K.PROJECT, 520, "new"),
        Spec(1, "农村生活污水治理", K.PROJECT, 900),
    ),
    "207": (
        Spec(1, "示例市文化广电旅游局部门整体支出", K.DEPARTMENT_OVERALL, 1200),
        Spec(1, "公共文化服务体系建设补助（转移支付）", K.TRANSFER_PAYMENT, 800),
        Spec(1, "文化旅游消费惠民政策", K.POLICY, 500, "new"),
        Spec(1, "体育彩票公益金支持全民健身", K.PROJECT, 650, "", GF),
        Spec(2, "示例市图书馆数字资源采购", K.PROCUREMENT, 180),
        Spec(2, "示例市图书馆新馆建设", K.PROJECT, 4800, "new major key m3"),
        Spec(2, "全民阅读推广活动", K.PURCHASED_SERVICE, 60),
        Spec(3, "示例市博物馆馆藏文物保护修复", K.PROJECT, 420),
        Spec(3, "示例市博物馆陈列展览提升", K.PROJECT, 780, "new"),
        Spec(4, "公共文化进基层政府购买服务", K.PURCHASED_SERVICE, 150),
        Spec(4, "非物质文化遗产保护传承", K.PROJECT, 220, "new"),
        Spec(1, "旅游景区基础设施提升", K.PROJECT, 1500, "new m2", GF),
    ),
    "208": (
        Spec(1, "示例市公安局部门整体支出", K.DEPARTMENT_OVERALL, 5000),
        Spec(1, "公共安全视频监控建设（雪亮工程）", K.PROCUREMENT, 3600, "new major key m2", plan="pa_support"),
        Spec(1, "警用装备购置", K.PROCUREMENT, 900),
        Spec(1, "110接处警系统运维", K.PURCHASED_SERVICE, 280),
        Spec(2, "智能交通信号控制系统升级", K.PROCUREMENT, 1400, "new"),
        Spec(2, "道路交通安全设施维护", K.PROJECT, 620),
        Spec(2, "交通违法非现场执法设备购置", K.PROCUREMENT, 450, "new"),
        Spec(3, "刑事技术实验室建设", K.PROJECT, 1100, "new"),
        Spec(3, "打击治理电信网络诈骗专项", K.PROJECT, 350),
        Spec(4, "看守所监所安全设施改造", K.PROJECT, 580, "new"),
        Spec(4, "在押人员医疗保障", K.PROJECT, 120),
        Spec(1, "辅警队伍建设经费", K.POLICY, 2200),
    ),
    "209": (
        Spec(1, "示例市民政局部门整体支出", K.DEPARTMENT_OVERALL, 1600),
        Spec(1, "城乡居民最低生活保障", K.POLICY, 4500, "key"),
        Spec(1, "居家和社区养老服务政府购买服务", K.PURCHASED_SERVICE, 1200, "new"),
        Spec(1, "福利彩票公益金支持养老服务体系建设", K.PROJECT, 900, "", GF),
        Spec(1, "所辖县区基层政权运转保障补助", K.LOWER_GOVERNMENT, 3000),
        Spec(1, "乡镇（街道）财力保障补助", K.LOWER_GOVERNMENT, 2000, "new major"),
        Spec(2, "示例市社会福利院适老化改造", K.PROJECT, 680, "new"),
        Spec(2, "孤残儿童养育保障", K.POLICY, 260),
        Spec(3, "流浪乞讨人员救助", K.PROJECT, 140),
        Spec(4, "惠民殡葬政策补贴", K.POLICY, 380, "new"),
        Spec(4, "公益性公墓建设", K.PROJECT, 1100, "new m2", GF),
        Spec(1, "困难残疾人生活补贴", K.POLICY, 520),
        Spec("209901", "东城街道街道预算（社区治理与公共服务）", K.SUBDISTRICT, 1800),
        Spec("209901", "东城街道老旧小区环境整治", K.SUBDISTRICT, 650, "new"),
        Spec("209902", "西城街道街道预算（社区治理与公共服务）", K.SUBDISTRICT, 1500),
        Spec("209902", "西城街道社区养老服务站建设", K.SUBDISTRICT, 300, "new"),
    ),
    "210": (
        Spec(1, "示例市住房和城乡建设局部门整体支出", K.DEPARTMENT_OVERALL, 2100),
        Spec(1, "保障性安居工程专项债券还本付息", K.GOVERNMENT_DEBT, 4000, "", GF),
        Spec(1, "城市更新一般债券付息", K.GOVERNMENT_DEBT, 1200),
        Spec(1, "示例市城市地下综合管廊PPP项目", K.PPP, 4900, "major key m3", GF),
        Spec(2, "公共租赁住房租赁补贴", K.POLICY, 1300),
        Spec(2, "城镇老旧小区改造", K.PROJECT, 3500, "new major m2", GF),
        Spec(2, "保障性住房维修", K.PROJECT, 450),
        Spec(3, "建设工程质量检测服务", K.PURCHASED_SERVICE, 180),
        Spec(3, "智慧工地监管平台建设", K.PROCUREMENT, 560, "new"),
        Spec(4, "城市道路桥梁维护", K.PROJECT, 1900),
        Spec(4, "城市排水防涝设施建设", K.PROJECT, 2800, "new major m3", GF),
        Spec(4, "市政路灯节能改造", K.PROCUREMENT, 740, "new"),
    ),
}

# Plans: the steps a project goes through. Projects that need no pre-assessment get the first
# kind in turn, those that need one the second; an explicit ``Spec.plan`` wins.
PLANS = {
    "draft": (),
    "submitted": ("p_submit",),
    "returned": ("p_submit", "p_return"),
    "library": ("p_submit", "p_approve"),
    "pa_none": (),
    "pa_draft": ("start", "fill_part"),
    "pa_dept_review": ("start", "fill", "submit"),
    "pa_returned_dept": ("start", "fill", "submit", "dept_return"),
    "pa_returned_finance": ("start", "fill", "submit", "dept_approve", "office_return"),
    "pa_finance_review": ("start", "fill", "submit", "dept_approve"),
    "pa_support": ("start", "fill", "submit", "dept_approve", "conclude:support", "p_submit", "p_approve"),
    "pa_support_pending": ("start", "fill", "submit", "dept_approve", "conclude:support", "p_submit"),
    "pa_adjust": ("start", "fill", "submit", "dept_approve", "conclude:support_after_adjustment", "p_submit"),
    "pa_reject": ("start", "fill", "submit", "dept_approve", "conclude:reject"),
    "pa_resubmit_support": (
        "start",
        "fill",
        "submit",
        "dept_return",
        "fill",
        "submit",
        "dept_approve",
        "conclude:support",
        "p_submit",
        "p_approve",
    ),
    "pa_agency_commissioned": ("commission:agency",),
    "pa_agency_finance_review": ("commission:agency", "fill", "submit"),
    "pa_agency_returned": ("commission:agency", "fill", "submit", "office_return"),
    "pa_agency_support": ("commission:agency", "fill", "submit", "conclude:support", "p_submit", "p_approve"),
    "pa_agency_reject": ("commission:agency", "fill", "submit", "conclude:reject"),
    "pa_experts_finance_review": ("commission:experts", "fill", "submit"),
    "pa_experts_adjust": (
        "commission:experts",
        "fill",
        "submit",
        "conclude:support_after_adjustment",
        "p_submit",
        "p_approve",
    ),
}
PLAIN_TURN = ("library", "library", "submitted", "library", "returned", "draft", "library")
PA_TURN = (
    "pa_support",
    "pa_dept_review",
    "pa_returned_dept",
    "pa_agency_support",
    "pa_draft",
    "pa_finance_review",
    "pa_reject",
    "pa_experts_adjust",
    "pa_none",
    "pa_resubmit_support",
    "pa_agency_finance_review",
    "pa_returned_finance",
    "pa_adjust",
    "pa_agency_commissioned",
    "pa_experts_finance_review",
    "pa_agency_reject",
    "pa_support_pending",
    "pa_agency_returned",
)

# --- Texts of the pre-assessments (Chinese, as a reviewer would write them) -----------------

TIER_OF = {
    Conclusion.SUPPORT: "good",
    Conclusion.SUPPORT_AFTER_ADJUSTMENT: "fair",
    Conclusion.REJECT: "poor",
}
SCORE_RANGE = {"good": (16.0, 19.5), "fair": (13.0, 16.0), "poor": (8.0, 12.5)}
OPINIONS = {
    Dimension.NECESSITY: {
        "good": "项目符合示例市“十五五”规划和部门职责，服务对象需求调研充分，立项依据明确。",
        "fair": "项目与部门职责相关，但需求测算依据不够充分，建议补充服务对象规模和现状数据。",
        "poor": "立项依据不足，与现有同类项目内容重复，必要性论证不充分。",
    },
    Dimension.ECONOMY: {
        "good": "预算按定额标准和市场询价测算，单位成本与同类项目相当，投入经济合理。",
        "fair": "部分支出标准偏高，建议按最新支出定额核减约10%，并补充三家以上询价记录。",
        "poor": "预算测算依据缺失，设备单价明显高于市场价格，投入经济性较差。",
    },
    Dimension.TARGETS: {
        "good": "绩效目标与项目内容匹配，产出、效益、满意度指标量化清晰，可衡量、可考核。",
        "fair": "绩效目标基本明确，但效益指标偏定性，建议细化可量化的社会效益指标。",
        "poor": "绩效目标笼统，缺少可量化的产出数量和质量指标，无法据以考核。",
    },
    Dimension.FEASIBILITY: {
        "good": "实施方案完整，组织分工和进度安排合理，风险应对措施可行。",
        "fair": "实施方案基本可行，但进度安排偏紧，建议分年度实施并明确关键节点。",
        "poor": "实施方案不完整，建设内容、进度安排和管理制度均未落实。",
    },
    Dimension.FINANCING: {
        "good": "资金来源明确，符合预算管理规定，未发现违规举债或变相融资。",
        "fair": "资金来源基本明确，配套资金落实情况需进一步说明。",
        "poor": "配套资金来源未落实，存在以政府购买服务名义变相举债的风险。",
    },
}
SUMMARIES = {
    "good": "经综合评估，项目立项必要、投入经济、目标合理、方案可行、筹资合规，建议予以支持。",
    "fair": "项目总体可行，但投入测算和绩效指标需调整完善，建议调整后支持。",
    "poor": "项目必要性和可行性论证不足，预算测算依据缺失，建议不予支持。",
}
CONCLUSION_OPINIONS = {
    Conclusion.SUPPORT: "同意评估意见，予以支持。请按批复的绩效目标组织实施，纳入预算编制。",
    Conclusion.SUPPORT_AFTER_ADJUSTMENT: "原则同意，请按评估意见核减预算并完善绩效指标后纳入预算。",
    Conclusion.REJECT: "评估认为项目立项依据和实施条件尚不成熟，不予支持，本年度不纳入预算安排。",
}
DEPT_RETURN_OPINIONS = (
    "绩效目标与项目内容不匹配，产出数量指标缺少量化值，请补充后重新提交。",
    "投入经济性分析未提供同类项目成本对比，请补充测算依据。",
    "实施方案未明确年度进度安排，请细化后重新提交。",
)
OFFICE_RETURN_OPINIONS = (
    "评估报告对筹资合规性论证不足，请补充资金来源说明后重新提交。",
    "评估结论与各维度得分不一致，请复核后重新提交。",
)
PROJECT_RETURN_OPINION = "项目资金测算明细不完整，请补充支出明细表后重新申报。"

FUNDING_SOURCE = {
    B.GENERAL_PUBLIC: "本级一般公共预算拨款",
    B.GOVERNMENT_FUND: "政府性基金预算收入",
    B.STATE_CAPITAL: "国有资本经营预算收入",
    B.SOCIAL_INSURANCE: "社会保险基金收入",
}


@dataclass
class Summary:
    organizations: int = 0
    users: int = 0
    projects_created: int = 0
    projects_existing: int = 0
    transitions: int = 0
    targets: object = None  # targets.demo.TargetSummary
    monitoring: object = None  # monitoring.demo.MonitoringSummary


class DemoCity:
    """Builds 示例市. ``build()`` is idempotent; call it inside one transaction."""

    def __init__(self):
        self.summary = Summary()
        self.orgs: dict[str, Organization] = {}
        self.users: dict[str, object] = {}
        self.clerks: dict[str, object] = {}  # unit code → its clerk
        self.reviewers: dict[str, object] = {}  # department code → its reviewer
        self.experts: dict[str, Expert] = {}
        self.agencies: dict[str, Agency] = {}
        self.years: dict[int, FiscalYear] = {}
        self._password_hash = None
        self._turns = {"plain": 0, "pa": 0}

    def build(self) -> Summary:
        self.organizations()
        self.people()
        self.pools()
        self.fiscal_years()
        self.projects()
        # Later stages seed on top of the projects (imported here: projects must not depend on them).
        from targets.demo import seed_targets

        self.summary.targets = seed_targets(self)
        from monitoring.demo import seed_monitoring

        self.summary.monitoring = seed_monitoring(self)
        return self.summary

    # --- reference data ------------------------------------------------------------------------

    def _org(self, code, name, kind, parent=None) -> Organization:
        org, created = Organization.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "parent": parent}
        )
        self.summary.organizations += created
        self.orgs[code] = org
        return org

    def organizations(self):
        finance = self._org(*FINANCE, OrganizationKind.FINANCE)
        for code, name, units in DEPARTMENTS:
            dept = self._org(code, name, OrganizationKind.DEPARTMENT, finance)
            self._org(f"{code}001", f"{name}（本级）", OrganizationKind.UNIT, dept)
            for i, unit in enumerate(units, start=2):
                self._org(f"{code}{i:03d}", unit, OrganizationKind.UNIT, dept)
        for code, name in SUBDISTRICTS:
            self._org(code, name, OrganizationKind.SUBDISTRICT, self.orgs[SUBDISTRICT_PARENT])
        for code, name, *_ in AGENCIES:
            self._org(code, name, OrganizationKind.AGENCY)

    def _password(self) -> str:
        # One PBKDF2 hash shared by all demo accounts: hashing ~60 passwords would take a minute.
        if self._password_hash is None:
            self._password_hash = make_password(DEMO_PASSWORD)
        return self._password_hash

    def _user(self, username, family, given, role, org_code, **extra):
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={
                "last_name": family,
                "first_name": given,
                "email": f"{username}@example.gov.cn",
                "organization": self.orgs[org_code],
                "password": self._password(),
                **extra,
            },
        )
        if created and role:
            user.groups.add(Group.objects.get(name=role))
        self.summary.users += created
        self.users[username] = user
        return user

    def people(self):
        for username, family, given, role, org_code, _ in DEMO_USERS:
            extra = {"is_staff": True, "is_superuser": True} if username == "admin" else {}
            self._user(username, family, given, role, org_code, **extra)
        self.clerks = {"201002": self.users["danwei"], "202002": self.users["danwei2"]}
        self.reviewers = {"201": self.users["bumen"]}
        # Background accounts so every unit can file and every department review: tb_<unit code>
        # (填报) and sh_<department code> (审核), same demo password.
        for code, org in self.orgs.items():
            if org.kind in (OrganizationKind.UNIT, OrganizationKind.SUBDISTRICT) and code not in self.clerks:
                self.clerks[code] = self._user(f"tb_{code}", *person_name(code), Role.UNIT_STAFF, code)
            elif org.kind == OrganizationKind.DEPARTMENT and code not in self.reviewers:
                self.reviewers[code] = self._user(f"sh_{code}", *person_name(code + "sh"), Role.DEPT_REVIEWER, code)

    def pools(self):
        for code, _name, qualification, credit_code, contact, phone, barred_reason in AGENCIES:
            agency, _ = Agency.objects.get_or_create(
                credit_code=credit_code,
                defaults={
                    "organization": self.orgs[code],
                    "qualification": qualification,
                    "contact": contact,
                    "phone": phone,
                    "is_barred": bool(barred_reason),
                    "barred_reason": barred_reason,
                },
            )
            self.agencies[code] = agency
        for name, fields, title, employer, dept_code, username, active in EXPERTS:
            expert, _ = Expert.objects.get_or_create(
                name=name,
                employer=employer,
                defaults={
                    "fields": fields,
                    "title": title,
                    "own_department": self.orgs.get(dept_code),
                    "user": self.users.get(username),
                    "phone": "",
                    "is_active": active,
                },
            )
            self.experts[name] = expert

    def fiscal_years(self):
        """2025 and 2026 (current), opened and set by the performance office through the services."""
        office = self.users["jixiao"]
        deadlines = {
            PREVIOUS_YEAR: (datetime.date(2024, 10, 31), datetime.date(2024, 12, 15), datetime.date(2026, 3, 31)),
            CURRENT_YEAR: (datetime.date(2025, 10, 31), datetime.date(2025, 12, 15), datetime.date(2027, 3, 31)),
        }
        for year, (projects_due, targets_due, self_eval_due) in deadlines.items():
            fiscal_year = FiscalYear.objects.filter(year=year).first()
            if fiscal_year is None:
                fiscal_year = services.create_fiscal_year(office, year)
                data = {
                    "project_submission_deadline": projects_due,
                    "target_submission_deadline": targets_due,
                    "self_evaluation_deadline": self_eval_due,
                }
                if year == CURRENT_YEAR and not FiscalYear.objects.filter(is_current=True).exists():
                    data["is_current"] = True
                fiscal_year = services.update_fiscal_year(fiscal_year, office, data)
            self.years[year] = fiscal_year

    # --- projects and their lifecycles -------------------------------------------------------

    def _unit_code(self, dept_code: str, spec: Spec) -> str:
        return spec.unit if isinstance(spec.unit, str) else f"{dept_code}{spec.unit:03d}"

    def projects(self):
        for dept_code, specs in PROJECTS.items():
            for seq, spec in enumerate(specs, start=1):
                unit_code = self._unit_code(dept_code, spec)
                first_year = CURRENT_YEAR if spec.has("new") else PREVIOUS_YEAR
                code = f"{unit_code}{first_year}{seq:03d}"
                if not spec.has("new"):
                    # The continuing project's previous year: a multi-year one started new then.
                    self._project(PREVIOUS_YEAR, code, dept_code, unit_code, spec, seq, is_new=spec.years > 1)
                self._project(CURRENT_YEAR, code, dept_code, unit_code, spec, seq, is_new=spec.has("new"))

    def _project(self, year, code, dept_code, unit_code, spec: Spec, seq: int, is_new: bool):
        fiscal_year = self.years[year]
        if Project.objects.filter(fiscal_year=fiscal_year, code=code).exists():
            self.summary.projects_existing += 1
            return
        clerk = self.clerks[unit_code]
        start_year = year if is_new or spec.years == 1 else PREVIOUS_YEAR
        amount = Decimal(spec.wan * 10000 + (seq * 37 % 99) * 100) if spec.wan < 5000 else Decimal(50_000_000)
        if year == PREVIOUS_YEAR:
            amount = (amount * Decimal("0.95")).quantize(Decimal("100"))
        person = "".join(person_name(code))
        period_end = datetime.date(start_year + spec.years - 1, 12, 31)
        project = services.create_project(
            clerk,
            {
                "fiscal_year": fiscal_year,
                "code": code,
                "name": spec.name,
                "unit": self.orgs[unit_code],
                "responsible_person": person,
                "responsible_phone": f"0990-8{zlib.crc32(code.encode()) % 10_000_000:07d}",
                "budget_amount": amount,
                "funding_source": "上级转移支付资金"
                if spec.kind == K.TRANSFER_PAYMENT
                else FUNDING_SOURCE[spec.budget_type],
                "period_start": datetime.date(start_year, 1, 1),
                "period_end": period_end,
                "budget_type": spec.budget_type,
                "kind": spec.kind,
                "is_new": is_new,
                "is_major": spec.has("major"),
                "description": (
                    f"{self.orgs[unit_code].name}实施的{ProjectKind(spec.kind).label}，"
                    f"{BudgetType(spec.budget_type).label}安排，实施期{start_year}年至{period_end.year}年"
                    f"{'（新增项目）' if is_new else '（延续项目）'}。"
                ),
            },
        )
        self.summary.projects_created += 1
        plan = self._plan_for(project, spec, year)
        _PlanRunner(self, project, dept_code, seq, plan).run()
        if spec.has("key") and year == CURRENT_YEAR:
            services.set_key_project(project, self.users["jixiao"], True)

    def _plan_for(self, project: Project, spec: Spec, year: int) -> str:
        if year == PREVIOUS_YEAR:  # last year's library: everything went in
            return "pa_support" if project.needs_preassessment else "library"
        if spec.plan:
            return spec.plan
        if spec.has("key"):  # finance picks its key projects from the library
            return "pa_support" if project.needs_preassessment else "library"
        kind = "pa" if project.needs_preassessment else "plain"
        turn = PA_TURN if kind == "pa" else PLAIN_TURN
        plan = turn[self._turns[kind] % len(turn)]
        self._turns[kind] += 1
        return plan


class _PlanRunner:
    """Takes one project through the steps of its plan, each done by the user who would do it."""

    TRANSITION_STEPS = frozenset(
        {"submit", "dept_approve", "dept_return", "office_return", "conclude", "p_submit", "p_approve", "p_return"}
    )

    def __init__(self, city: DemoCity, project: Project, dept_code: str, seq: int, plan: str):
        self.city = city
        self.project = project
        self.pa: PreAssessment | None = None
        self.clerk = city.clerks[project.unit.code]
        self.reviewer = city.reviewers[dept_code]
        self.office = city.users["jixiao"]
        self.seq = seq
        self.steps = PLANS[plan]
        # Scores follow the conclusion; an assessment that gets returned was weaker the first time.
        conclusion = next((s.split(":", 1)[1] for s in self.steps if s.startswith("conclude:")), Conclusion.SUPPORT)
        self.final_tier = TIER_OF[conclusion]
        self.first_tier = "fair" if any(s.endswith("_return") for s in self.steps) else self.final_tier
        self.fills = 0
        self.rng = random.Random(project.code)

    def run(self):
        for step in self.steps:
            name, _, arg = step.partition(":")
            method = getattr(self, f"step_{name}")
            method(arg) if arg else method()
            self.city.summary.transitions += name in self.TRANSITION_STEPS

    def _filler(self):
        """Who fills and submits: the unit (self), the agency's evaluator, or the logged-in expert."""
        if self.pa.mode == PreAssessmentMode.AGENCY:
            return self.city.users["pingjia"]
        if self.pa.mode == PreAssessmentMode.EXPERTS:
            return next(e.user for e in self.pa.experts.all() if e.user_id)
        return self.clerk

    def _scores(self, dimensions, tier):
        low, high = SCORE_RANGE[tier]
        return {
            d: {"score": Decimal(round(self.rng.uniform(low, high) * 2)) / 2, "opinion": OPINIONS[d][tier]}
            for d in dimensions
        }

    # Pre-assessment steps

    def step_start(self):
        self.pa = services.start_preassessment(self.project, self.clerk)

    def step_commission(self, mode):
        """Finance opens the assessment and commissions it to 华信 or to a panel without conflicts."""
        self.pa = services.start_preassessment(self.project, self.office)
        if mode == PreAssessmentMode.AGENCY:
            services.commission_preassessment(self.pa, self.office, mode, agency=self.city.agencies["AG001"])
            return
        experts = self.city.experts
        department = self.project.department
        with_login = next(e for e in (experts["陈立新"], experts["刘洋"]) if not e.conflicts_with(department))
        panel = [with_login, experts["王建华"], experts["赵静"]]
        services.commission_preassessment(self.pa, self.office, mode, experts=panel)

    def step_fill(self):
        tier = self.first_tier if self.fills == 0 else self.final_tier
        self.fills += 1
        services.save_preassessment(self.pa, self._filler(), self._scores(Dimension.values, tier), SUMMARIES[tier])

    def step_fill_part(self):
        services.save_preassessment(self.pa, self._filler(), self._scores(list(Dimension.values)[:3], "good"))

    def step_submit(self):
        perform_transition(self.pa, "submit", self._filler())

    def step_dept_approve(self):
        perform_transition(self.pa, "approve", self.reviewer, opinion="经审核，评估内容完整，同意报送财政部门。")

    def step_dept_return(self):
        opinion = DEPT_RETURN_OPINIONS[self.seq % len(DEPT_RETURN_OPINIONS)]
        perform_transition(self.pa, "return", self.reviewer, opinion=opinion)

    def step_office_return(self):
        opinion = OFFICE_RETURN_OPINIONS[self.seq % len(OFFICE_RETURN_OPINIONS)]
        perform_transition(self.pa, "return", self.office, opinion=opinion)

    def step_conclude(self, conclusion):
        perform_transition(
            self.pa, "conclude", self.office, opinion=CONCLUSION_OPINIONS[conclusion], conclusion=conclusion
        )

    # Project steps

    def step_p_submit(self):
        perform_transition(self.project, "submit", self.clerk)

    def step_p_approve(self):
        perform_transition(self.project, "approve", self.reviewer, opinion="项目资料齐全，同意入库。")

    def step_p_return(self):
        perform_transition(self.project, "return", self.reviewer, opinion=PROJECT_RETURN_OPINION)
